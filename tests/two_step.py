"""Two-step sign-in for the tests' login helpers (tests/conftest.py, tests/e2e/conftest.py)."""


def totp_code(username: str) -> str:
    """The code the user's authenticator app shows now, computed with pyotp from the device's secret in the
    database, as a phone would. The same code is never accepted twice: when this step's code was already used
    (the same user signing in twice within 30 seconds), the next step's code, which the server accepts for
    clock drift; when that too is spent, the step counter is moved back as if half a minute had passed."""
    import pyotp

    from nrcms.accounts import totp
    from nrcms.accounts.models import TotpDevice

    device = TotpDevice.objects.get(user__username=username)
    step = totp.current_step()
    if device.last_used_step >= step + totp.DRIFT_STEPS:
        TotpDevice.objects.filter(pk=device.pk).update(last_used_step=step - totp.DRIFT_STEPS - 1)
        device.last_used_step = step - totp.DRIFT_STEPS - 1
    step = max(step, device.last_used_step + 1)
    return pyotp.TOTP(device.secret).at(step * totp.STEP_SECONDS)
