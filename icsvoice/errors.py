"""The one exception family for broken domain rules. Its message is shown to people."""


class DomainError(Exception):
    """A rule of the domain was broken; str(error) is a sentence a person can read."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
