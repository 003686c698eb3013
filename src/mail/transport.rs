//! Where messages go: an SMTP server (lettre, rustls) or a folder of `.eml` files.

use crate::config::Config;
use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

#[derive(Clone)]
pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(AsyncFileTransport<Tokio1Executor>),
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("invalid mail setting: {0}")]
    Config(String),
    #[error("the message could not be built: {0}")]
    Build(String),
    #[error("delivery failed: {0}")]
    Delivery(String),
}

impl Transport {
    /// SMTP from `smtp_url` (lettre's URL form: `smtp://host:25`, `smtp://host?tls=required`
    /// for STARTTLS, `smtps://user:pass@host` for TLS); otherwise `.eml` files in `mail_dir`.
    pub fn from_config(config: &Config) -> Result<Transport, MailError> {
        match &config.smtp_url {
            // A hung server costs at most 20 s a message, so a batch ends within its lease.
            Some(url) => AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                .map(|builder| {
                    Transport::Smtp(builder.timeout(Some(std::time::Duration::from_secs(20))).build())
                })
                .map_err(|e| MailError::Config(format!("smtp_url: {e}"))),
            None => {
                std::fs::create_dir_all(&config.mail_dir)
                    .map_err(|e| MailError::Config(format!("mail_dir {}: {e}", config.mail_dir.display())))?;
                Ok(Transport::Files(AsyncFileTransport::new(&config.mail_dir)))
            }
        }
    }

    pub async fn send(&self, message: Message) -> Result<(), MailError> {
        match self {
            Transport::Smtp(smtp) => {
                smtp.send(message).await.map(|_| ()).map_err(|e| MailError::Delivery(e.to_string()))
            }
            Transport::Files(files) => {
                files.send(message).await.map(|_| ()).map_err(|e| MailError::Delivery(e.to_string()))
            }
        }
    }
}

/// A calendar attachment: the `.ics` text and its method (`REQUEST`, `CANCEL`).
pub struct Invitation {
    pub ics: String,
    pub method: &'static str,
}

/// What a message says, as rendered for its reader.
pub struct Content {
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The language it is written in (`nb`, `en`): its `Content-Language`.
    pub language: &'static str,
}

/// `Auto-Submitted: auto-generated` (RFC 3834): out-of-office replies and other
/// responders leave these notices alone.
#[derive(Clone)]
struct AutoSubmitted;

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AutoSubmitted)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-generated".to_owned())
    }
}

/// `Content-Language` (RFC 3282): what a reader's mail program may announce or translate.
#[derive(Clone)]
struct ContentLanguage(&'static str);

impl Header for ContentLanguage {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Content-Language")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Err("Endring only writes this header".into())
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.to_owned())
    }
}

/// A text + HTML message, with an invitation attached when given. `message_id` is stable
/// for an outbox row, so a resend after a crash is recognisable as the same message.
pub fn build(
    from: &str,
    to: &str,
    message_id: String,
    content: Content,
    invitation: Option<Invitation>,
) -> Result<Message, MailError> {
    let from: Mailbox = from.parse().map_err(|e| MailError::Build(format!("sender {from}: {e}")))?;
    let to: Mailbox = to.parse().map_err(|e| MailError::Build(format!("recipient {to}: {e}")))?;
    let body = MultiPart::alternative()
        .singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).body(content.text))
        .singlepart(SinglePart::builder().header(ContentType::TEXT_HTML).body(content.html));
    let builder = Message::builder()
        .from(from)
        .to(to)
        .subject(content.subject)
        .message_id(Some(message_id))
        .header(AutoSubmitted)
        .header(ContentLanguage(content.language));
    let message = match invitation {
        None => builder.multipart(body),
        Some(invitation) => {
            let kind =
                ContentType::parse(&format!("text/calendar; method={}; charset=UTF-8", invitation.method))
                    .map_err(|e| MailError::Build(e.to_string()))?;
            let attachment = Attachment::new("invitation.ics".to_owned()).body(invitation.ics, kind);
            builder.multipart(MultiPart::mixed().multipart(body).singlepart(attachment))
        }
    };
    message.map_err(|e| MailError::Build(e.to_string()))
}
