"""What this part registers with the kernel when the app starts (audit scopes, home cards,
journey steps, email link minters). Placeholder: filled in by issue 8."""


def register() -> None:
    pass
