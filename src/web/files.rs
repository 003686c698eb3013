//! Uploads and downloads of attachments, for the pages and the API alike: a body read
//! within the size limit, and a file served as a download that no browser renders or
//! sniffs.

use crate::services::attachments::AttachmentView;
use crate::services::ServiceError;
use actix_web::http::header::{
    Charset, ContentDisposition, DispositionParam, DispositionType, ExtendedValue, CACHE_CONTROL,
    CONTENT_SECURITY_POLICY, X_CONTENT_TYPE_OPTIONS,
};
use actix_web::web::Bytes;
use actix_web::HttpResponse;
use futures_util::stream::{Stream, StreamExt};

/// How much of a body past the limit is still read (and dropped) so the client, still
/// sending, sees the refusal rather than a reset connection; past this the connection is
/// closed.
const DRAIN_MAX: usize = 64 * 1024 * 1024;

/// Reads `body` up to `max` bytes. Past `max` it is `TooLarge` (saying `max_mb`), after
/// the rest has been read and dropped (up to `DRAIN_MAX`).
pub async fn read_limited<E: std::fmt::Display>(
    mut body: impl Stream<Item = Result<Bytes, E>> + Unpin,
    max: usize,
    max_mb: u32,
) -> Result<Vec<u8>, ServiceError> {
    let mut read = Vec::new();
    let mut over = 0usize;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| ServiceError::BadRequest(format!("the upload broke off: {e}")))?;
        if over > 0 || read.len() + chunk.len() > max {
            over += chunk.len();
            if over > DRAIN_MAX {
                break;
            }
            continue;
        }
        read.extend_from_slice(&chunk);
    }
    match over {
        0 => Ok(read),
        _ => Err(ServiceError::TooLarge { max_mb }),
    }
}

/// `name` with only printable ASCII, for the `filename` of clients that do not read
/// `filename*`.
fn ascii_name(name: &str) -> String {
    name.chars()
        .map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' { c } else { '_' })
        .collect()
}

/// The file as a download: its type as read from the content, its name (UTF-8 through
/// `filename*`), never sniffed, never rendered as a page (a sandbox policy in case a
/// browser does), and kept in no shared cache.
pub fn download(view: &AttachmentView, content: Vec<u8>) -> HttpResponse {
    let disposition = ContentDisposition {
        disposition: DispositionType::Attachment,
        parameters: vec![
            DispositionParam::Filename(ascii_name(&view.name)),
            DispositionParam::FilenameExt(ExtendedValue {
                charset: Charset::Ext("UTF-8".into()),
                language_tag: None,
                value: view.name.as_bytes().to_vec(),
            }),
        ],
    };
    HttpResponse::Ok()
        .content_type(view.content_type.as_str())
        .insert_header(disposition)
        .insert_header((X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((CONTENT_SECURITY_POLICY, "default-src 'none'; sandbox"))
        .insert_header((CACHE_CONTROL, "private, no-cache"))
        .insert_header(("ETag", format!("\"{}\"", view.sha256)))
        .body(content)
}

#[cfg(test)]
mod tests {
    use super::ascii_name;

    #[test]
    fn the_ascii_name_replaces_what_a_quoted_header_value_cannot_hold() {
        assert_eq!(ascii_name("Testrapport «Sak» ø.pdf"), "Testrapport _Sak_ _.pdf");
        assert_eq!(ascii_name("a\"b\\c.txt"), "a_b_c.txt");
    }
}
