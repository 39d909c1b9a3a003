"""Every action code any service writes has a Chinese label; so does every object type and every field
recorded before and after. The codes are read from the source (every audit_record call), so a new action
without a label fails here rather than reaching the auditor as a bare code."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.apps import apps

import nrcms
from nrcms.accounts.audit_labels import (
    ACTION_LABELS,
    action_label,
    change_rows,
    field_label,
    has_chinese,
    object_type_label,
    value_text,
)
from nrcms.registry.models import EventKind

SOURCE = Path(nrcms.__file__).parent
# f-string action codes and the values their placeholder takes (person_add / _end_membership take an EventKind).
FSTRING_EXPANSIONS = {"person.{}": [f"person.{kind}" for kind in EventKind.values]}


def _call_name(node: ast.Call) -> str:
    return node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")


class _Module:
    """One source file: its functions, the calls inside each, and module-level constant lists."""

    def __init__(self, path: Path):
        self.path = path
        self.tree = ast.parse(path.read_text(encoding="utf-8"))
        self.functions: dict[str, ast.FunctionDef] = {}
        self.calls: list[tuple[ast.Call, ast.FunctionDef | None]] = []
        self.constants: dict[str, list[str]] = {}
        for node in self.tree.body:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.List | ast.Tuple):
                values = [e.value for e in node.value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        self.constants[target.id] = values
        self._visit(self.tree, None)

    def _visit(self, node, function):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                self.functions[child.name] = child
                self._visit(child, child)
            else:
                if isinstance(child, ast.Call):
                    self.calls.append((child, function))
                self._visit(child, function)

    def where(self, node) -> str:
        return f"{self.path.relative_to(SOURCE.parent)}:{node.lineno}"


def _params(function: ast.FunctionDef) -> list[str]:
    return [a.arg for a in [*function.args.posonlyargs, *function.args.args, *function.args.kwonlyargs]]


def _resolve(module: _Module, node, function, problems: list[str]) -> set[str]:
    """The string values an expression can take, following a parameter to the module's callers."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _resolve(module, node.body, function, problems) | _resolve(module, node.orelse, function, problems)
    if isinstance(node, ast.JoinedStr):
        template = "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
        if template not in FSTRING_EXPANSIONS:
            problems.append(f"{module.where(node)}: 无法展开的操作代码模板 {template}，请在测试中登记")
            return set()
        return set(FSTRING_EXPANSIONS[template])
    if isinstance(node, ast.Name) and function is not None and node.id in _params(function):
        position = _params(function).index(node.id)
        values: set[str] = set()
        for call, caller in module.calls:
            if _call_name(call) != function.name:
                continue
            arg = next((k.value for k in call.keywords if k.arg == node.id), None)
            if arg is None and position < len(call.args):
                arg = call.args[position]
            if arg is not None:
                values |= _resolve(module, arg, caller, problems)
        return values
    problems.append(f"{module.where(node)}: 无法确定操作代码 {ast.unparse(node)}")
    return set()


def _modules() -> list[_Module]:
    return [_Module(p) for p in sorted(SOURCE.rglob("*.py")) if "migrations" not in p.parts]


def _audit_calls():
    for module in _modules():
        for call, function in module.calls:
            if _call_name(call) == "audit_record":
                yield module, call, function


def action_codes_in_code() -> tuple[dict[str, str], list[str]]:
    codes: dict[str, str] = {}
    problems: list[str] = []
    for module, call, function in _audit_calls():
        action = next((k.value for k in call.keywords if k.arg == "action"), None)
        if action is None:
            problems.append(f"{module.where(call)}: audit_record 没有 action=")
            continue
        for code in _resolve(module, action, function, problems):
            codes.setdefault(code, module.where(call))
    return codes, problems


def _dict_keys(node) -> set[str]:
    keys = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Dict):
            keys |= {k.value for k in sub.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)}
    return keys


def field_keys_in_code() -> set[str]:
    """Keys of the dicts written as before/after, and of the field lists handed to snapshot()."""
    keys: set[str] = set()
    for module in _modules():
        for call, function in module.calls:
            if _call_name(call) == "snapshot" and len(call.args) == 2 and isinstance(call.args[1], ast.Name):
                keys |= set(module.constants.get(call.args[1].id, []))
            if _call_name(call) not in ("audit_record", "_audit"):
                continue
            for kw in call.keywords:
                if kw.arg not in ("before", "after"):
                    continue
                keys |= _dict_keys(kw.value)
                if isinstance(kw.value, ast.Name) and function is not None:
                    for assign in ast.walk(function):
                        if (isinstance(assign, ast.Assign) and any(isinstance(t, ast.Name) and t.id == kw.value.id
                                                                   for t in assign.targets)):
                            keys |= _dict_keys(assign.value)
    return keys


def test_the_source_scan_finds_the_actions_services_write():
    codes, problems = action_codes_in_code()
    assert not problems, problems
    # Spot checks that the scan follows literals, conditionals, helpers and f-strings.
    assert {"household.enroll", "user.activate", "user.deactivate", "manual_claim.reject", "person.death",
            "household.set_head", "settlement.settle"} <= set(codes)
    assert len(codes) >= 60


def test_every_action_code_used_in_the_code_has_a_chinese_label():
    codes, _ = action_codes_in_code()
    missing = {code: where for code, where in codes.items() if code not in ACTION_LABELS}
    assert not missing, f"这些操作代码没有中文名称，请加入 nrcms/accounts/audit_labels.py 的 ACTION_LABELS：{missing}"
    assert all(has_chinese(action_label(code)) for code in codes)


def test_action_labels_are_distinct_so_the_filter_list_reads_unambiguously():
    labels = list(ACTION_LABELS.values())
    assert len(labels) == len(set(labels))


def test_every_model_and_every_named_object_type_has_a_chinese_name():
    types = {m._meta.label_lower for m in apps.get_models()
             if m.__module__.startswith("nrcms.") and m._meta.label_lower not in (
                 "accounts.auditentry", "accounts.auditchainhead", "accounts.loginattempt")}
    for _module, call, _ in _audit_calls():
        types |= {k.value.value for k in call.keywords if k.arg == "object_type" and isinstance(k.value, ast.Constant)}
    missing = sorted(t for t in types if not has_chinese(object_type_label(t)))
    assert not missing, missing
    assert object_type_label("registry.household") == "户" and object_type_label("claims.settlement") == "结算单"


def test_every_field_recorded_before_or_after_has_a_chinese_label():
    keys = field_keys_in_code()
    assert {"status", "fund_total", "id_number", "head", "receipt"} <= keys
    missing = sorted(k for k in keys if not has_chinese(field_label("", k)))
    assert not missing, missing


def test_a_model_fields_own_chinese_verbose_name_comes_first():
    assert field_label("registry.household", "number") == "户编号"
    assert field_label("registry.person", "household") == "所在户"


def test_values_read_as_chinese_choices_yes_no_and_lists():
    assert value_text("claims.settlement", "status", "reversed") not in ("reversed", "")
    assert has_chinese(value_text("claims.settlement", "status", "reversed"))
    assert value_text("accounts.user", "is_active", False) == "否"
    assert value_text("accounts.user", "role", "auditor") == "监督委员会/审计"
    assert value_text("registry.household", "enrolled", ["1", "2"]) == "1、2"
    assert value_text("x.y", "reason", None) == "—"


@pytest.mark.django_db
def test_every_entry_of_the_demo_trail_reads_in_chinese(demo):
    from nrcms.accounts.models import AuditEntry

    for e in AuditEntry.objects.all():
        assert has_chinese(action_label(e.action)), e.action
        assert has_chinese(object_type_label(e.object_type)), e.object_type
        for label, _, _ in change_rows(e):
            assert has_chinese(label), (e.action, label)
