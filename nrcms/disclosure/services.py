"""Publishing a month's disclosure (公示发布): a dated, audited record of who published which month for which
region. From then on the public page (/public/) and the public API show that month's lists for the region's
villages. A month is published once it has ended, by the county office (the county or any township) or by a
township clerk (their own township)."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from nrcms.accounts.audit import audit_record
from nrcms.accounts.models import User
from nrcms.accounts.roles import Cap
from nrcms.accounts.selectors import jurisdiction_of
from nrcms.core.errors import Conflict, Forbidden, NotFound, NrcmsError
from nrcms.registry.models import Region, RegionLevel

from .models import Publication
from .selectors import month_label, publication_of, village_list


def publish_region(actor: User | None, code: str = "") -> Region:
    """The region a publication is for: `code` (the county or a township) inside the actor's jurisdiction, or
    the actor's own region when no code is given. No actor (the command line): the whole county."""
    if actor is None:
        prefix = ""
    else:
        if not actor.can(Cap.DISCLOSURE_PUBLISH):
            raise Forbidden("您的角色无权发布公示")
        prefix = jurisdiction_of(actor).region_prefix
        if prefix is None:
            raise Forbidden("公示按行政区划发布，您的账号未绑定行政区划")
    if not code:
        region = (actor.region if actor is not None and actor.region_id
                  else Region.objects.filter(level=RegionLevel.COUNTY).first())
        if region is None:
            raise NrcmsError("invalid", "尚未载入行政区划")
        code = region.code
    region = Region.objects.filter(code=code).first()
    if region is None or region.level not in (RegionLevel.COUNTY, RegionLevel.TOWNSHIP):
        raise NrcmsError("invalid", f"公示范围“{code[:20]}”应为全县或一个乡镇的区划代码", field="region")
    if not region.prefix.startswith(prefix):
        raise NotFound("行政区划", code)
    return region


@transaction.atomic
def disclosure_publish(*, actor: User | None, start: dt.date, end: dt.date, region: Region, via: str = "页面",
                       today: dt.date | None = None) -> Publication:
    today = today or timezone.localdate()
    if end >= today:
        raise NrcmsError("invalid", f"{month_label(start)}尚未结束，月末之后才能发布该月公示", field="month")
    covering = publication_of(start, region)
    if covering is not None:
        who = covering.region.name
        raise Conflict("already_published", f"{month_label(start)}{who}的公示已于 {timezone.localtime(covering.published_at):%Y-%m-%d %H:%M} 发布，"
                       "不能重复发布")
    rows = village_list(start=start, end=end, prefix=region.prefix)
    try:
        with transaction.atomic():
            pub = Publication.objects.create(month=start, region=region, published_by=actor, patients=len(rows),
                                             reimbursed=sum((r.reimbursed for r in rows), 0))
    except IntegrityError as exc:  # a second click of the same button, at the same moment
        raise Conflict("already_published", f"{month_label(start)}{region.name}的公示已发布，不能重复发布") from exc
    audit_record(actor=actor, action="disclosure.publish", obj=pub,
                 object_repr=f"{month_label(start)} {region.name}公示",
                 after={"month": f"{start:%Y-%m}", "region": region.code, "patients": pub.patients,
                        "reimbursed": pub.reimbursed, "via": via},
                 authority="按月公示补偿情况（县合管办制度：在患者所在村、卫生院和就诊医院公布）",
                 region_code=region.code)
    return pub
