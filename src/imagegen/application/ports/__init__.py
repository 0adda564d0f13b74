"""The ports the use-cases need, named by role; adapters implement them.

One module per area; every port is importable from here.
"""

from imagegen.application.ports.mail import (
    Mailer,
    MailMessage,
    MailNotSent,
)
from imagegen.application.ports.media import (
    ImageGenerator,
    ImageProcessor,
    ImageStore,
    PreparedImage,
    StoredObject,
    Variation,
    VariationSpec,
)
from imagegen.application.ports.messaging import (
    ChannelAuthorizer,
    Event,
    EventFeed,
    Notifier,
    StreamedEvent,
    StreamSlots,
    Subscription,
    TaskQueue,
)
from imagegen.application.ports.persistence import (
    ImageFilter,
    ImageRepository,
    JobFilter,
    JobRepository,
    JobUsage,
    SessionRepository,
    UnitOfWork,
    UnitOfWorkFactory,
    Usage,
    UserRepository,
)
from imagegen.application.ports.security import (
    Clock,
    IdSource,
    PasswordHasher,
    Throttle,
)

__all__ = [
    "ChannelAuthorizer",
    "Clock",
    "Event",
    "EventFeed",
    "IdSource",
    "ImageFilter",
    "ImageGenerator",
    "ImageProcessor",
    "ImageRepository",
    "ImageStore",
    "JobFilter",
    "JobRepository",
    "JobUsage",
    "MailMessage",
    "MailNotSent",
    "Mailer",
    "Notifier",
    "PasswordHasher",
    "PreparedImage",
    "SessionRepository",
    "StoredObject",
    "StreamSlots",
    "StreamedEvent",
    "Subscription",
    "TaskQueue",
    "Throttle",
    "UnitOfWork",
    "UnitOfWorkFactory",
    "Usage",
    "UserRepository",
    "Variation",
    "VariationSpec",
]
