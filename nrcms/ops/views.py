from django.conf import settings
from django.shortcuts import render

from .selectors import backup_status


def backup_list(request):
    status = backup_status(actor=request.user)
    return render(request, "ops/backup_list.html", {"s": status, "backup_dir": settings.BACKUP_DIR})
