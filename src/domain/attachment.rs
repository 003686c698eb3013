//! Files attached to a change: what they may be called and what they may hold.
//!
//! The type of a file is read from its content (its magic bytes, with the `infer` crate),
//! never from the name or the type the browser claims: documents, images, archives and
//! plain text are accepted; executables and anything unrecognised are not. A name whose
//! extension says one known kind while the content is another (an `.pdf` that is a
//! program) is refused too, so what people download is what its name says.

use super::validation::Message;

/// Longest file name kept, in characters.
pub const NAME_MAX: usize = 200;

/// A file name as shown and offered on download: the last part of what the browser sent
/// (no folders), without control characters, not empty, at most `NAME_MAX` characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileName(String);

impl FileName {
    pub fn parse(raw: &str) -> Result<FileName, Message> {
        // Old browsers send the whole path (`C:\Users\kari\report.pdf`).
        let segment = raw.rsplit(['/', '\\']).next().unwrap_or_default();
        // Direction marks would let `rapport<RLO>fdp.bat` show as "rapporttab.pdf". Looked
        // for before trimming, which would drop a control character at either end unsaid.
        let hidden = |c: char| {
            c.is_control()
                || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        };
        let last = segment.trim();
        if last.is_empty() || last == "." || last == ".." || segment.chars().any(hidden) {
            return Err(Message::new("msg-attachment-name"));
        }
        if last.chars().count() > NAME_MAX {
            return Err(Message::new("msg-too-long").arg("max", NAME_MAX));
        }
        Ok(FileName(last.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The extension, lower-cased (`pdf`), if the name has one.
    fn extension(&self) -> Option<String> {
        let (stem, ext) = self.0.rsplit_once('.')?;
        (!stem.is_empty()).then(|| ext.to_lowercase())
    }
}

/// A kind of file Endring accepts: its media type (served as `Content-Type`) and the
/// extensions that name it.
struct Kind {
    mime: &'static str,
    extensions: &'static [&'static str],
}

const TEXT: &str = "text/plain; charset=utf-8";

/// Names Windows runs, or opens as a program or page, on a double-click: refused whatever
/// the content, so no one downloads a runnable file from a change (a script as evidence
/// goes in a ZIP, or as `.txt`).
const RUNNABLE: &[&str] = &[
    "bat",
    "cmd",
    "com",
    "exe",
    "dll",
    "ps1",
    "psm1",
    "psd1",
    "vbs",
    "vbe",
    "js",
    "jse",
    "wsf",
    "wsh",
    "hta",
    "msi",
    "msp",
    "scr",
    "lnk",
    "reg",
    "cpl",
    "jar",
    "appref-ms",
    "application",
    "url",
    "iso",
    "img",
    "vhd",
    "vhdx",
    "svg",
    "html",
    "htm",
    "xhtml",
    "mht",
];

/// Office and OpenDocument names: ZIP containers, which `infer` reads as a plain ZIP when
/// the writer (LibreOffice, python-docx) orders the parts differently from Microsoft's.
const ZIP_DOCUMENTS: &[&str] = &["docx", "xlsx", "pptx", "odt", "ods", "odp"];

/// What may be attached. Plain text (logs, scripts, configuration, CSV) is any UTF-8
/// without control characters but tab, line and page breaks, whatever its name.
const ACCEPTED: &[Kind] = &[
    Kind { mime: "application/pdf", extensions: &["pdf"] },
    Kind { mime: "image/png", extensions: &["png"] },
    Kind { mime: "image/jpeg", extensions: &["jpg", "jpeg"] },
    Kind { mime: "image/gif", extensions: &["gif"] },
    Kind { mime: "image/webp", extensions: &["webp"] },
    Kind { mime: "application/zip", extensions: &["zip"] },
    Kind { mime: "application/gzip", extensions: &["gz", "tgz"] },
    Kind { mime: "application/msword", extensions: &["doc"] },
    Kind { mime: "application/vnd.ms-excel", extensions: &["xls"] },
    Kind { mime: "application/vnd.ms-powerpoint", extensions: &["ppt"] },
    Kind {
        mime: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        extensions: &["docx"],
    },
    Kind { mime: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", extensions: &["xlsx"] },
    Kind {
        mime: "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        extensions: &["pptx"],
    },
    Kind { mime: "application/vnd.oasis.opendocument.text", extensions: &["odt"] },
    Kind { mime: "application/vnd.oasis.opendocument.spreadsheet", extensions: &["ods"] },
    Kind { mime: "application/vnd.oasis.opendocument.presentation", extensions: &["odp"] },
    Kind { mime: "application/vnd.ms-outlook", extensions: &["msg"] },
];

/// The media type of `content` named `name`, or why it is refused.
pub fn content_type(name: &FileName, content: &[u8]) -> Result<&'static str, Message> {
    if content.is_empty() {
        return Err(Message::new("msg-attachment-empty"));
    }
    let extension = name.extension();
    if extension.as_deref().is_some_and(|ext| RUNNABLE.contains(&ext)) {
        return Err(Message::new("msg-attachment-runnable"));
    }
    let named = extension.as_deref().and_then(|ext| ACCEPTED.iter().find(|k| k.extensions.contains(&ext)));
    let detected = infer::get(content).map(|t| t.mime_type());
    let kind = match detected {
        // A ZIP named as an Office or OpenDocument file is one (as its name says).
        Some("application/zip") if extension.as_deref().is_some_and(|e| ZIP_DOCUMENTS.contains(&e)) => {
            named.map_or("application/zip", |k| k.mime)
        }
        // An OLE container named `.msg` is an Outlook message.
        Some("application/x-ole-storage") if extension.as_deref() == Some("msg") => {
            "application/vnd.ms-outlook"
        }
        // A script (`#!`), XML and other text `infer` recognises is text to Endring.
        Some(mime) if mime.starts_with("text/") && is_plain_text(content) => TEXT,
        Some(mime) => {
            ACCEPTED.iter().find(|k| k.mime == mime).ok_or_else(|| Message::new("msg-attachment-type"))?.mime
        }
        None if is_plain_text(content) => TEXT,
        None => return Err(Message::new("msg-attachment-type")),
    };
    match named {
        // A name that says another accepted kind than the content: refused, so the name
        // never hides what the file is. (A text file may be called anything else.)
        Some(said) if said.mime != kind => Err(Message::new("msg-attachment-mismatch")),
        _ => Ok(kind),
    }
}

/// UTF-8 without control characters but tab, line feed, carriage return and form feed
/// (and a byte-order mark at the start).
fn is_plain_text(content: &[u8]) -> bool {
    std::str::from_utf8(content)
        .is_ok_and(|text| text.chars().all(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r' | '\x0c')))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(text: &str) -> FileName {
        FileName::parse(text).unwrap()
    }

    const PDF: &[u8] = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n";
    const PNG: &[u8] = &[0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, b'I', b'H', b'D', b'R'];
    const ELF: &[u8] = &[0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0x3e, 0];
    const EXE: &[u8] = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00";

    #[test]
    fn names_lose_their_folders_and_keep_no_control_characters() {
        assert_eq!(name("C:\\Users\\kari\\Testrapport.pdf").as_str(), "Testrapport.pdf");
        assert_eq!(name("../../etc/passwd").as_str(), "passwd");
        assert_eq!(name("  plan v2.docx ").as_str(), "plan v2.docx");
        assert!(FileName::parse("a\rb.txt").is_err());
        assert!(FileName::parse("\nplan.txt").is_err(), "not trimmed away unsaid");
        assert!(FileName::parse("plan.txt\u{1b}").is_err());
        assert!(FileName::parse("rapport\u{202e}fdp.bat").is_err(), "a direction mark");
        assert!(FileName::parse("dir/").is_err());
        assert!(FileName::parse("..").is_err());
        assert!(FileName::parse(&"x".repeat(NAME_MAX + 1)).is_err());
    }

    #[test]
    fn the_type_comes_from_the_content() {
        assert_eq!(content_type(&name("rapport.pdf"), PDF), Ok("application/pdf"));
        assert_eq!(content_type(&name("rapport"), PDF), Ok("application/pdf"));
        assert_eq!(content_type(&name("skjerm.PNG"), PNG), Ok("image/png"));
        assert_eq!(content_type(&name("install.log"), b"line 1\r\nline 2\tok\n"), Ok(TEXT));
        assert_eq!(
            content_type(&name("migrate.sql"), "ALTER TABLE sak ADD frist date; -- æøå".as_bytes()),
            Ok(TEXT)
        );
    }

    #[test]
    fn programs_unknown_bytes_and_empty_files_are_refused() {
        let refused = |n: &str, content: &[u8]| content_type(&name(n), content).unwrap_err().key;
        assert_eq!(refused("tool", ELF), "msg-attachment-type");
        assert_eq!(refused("setup", EXE), "msg-attachment-type");
        assert_eq!(refused("setup.exe", EXE), "msg-attachment-runnable");
        assert_eq!(refused("data.bin", &[0, 1, 2, 3, 250, 251]), "msg-attachment-type");
        assert_eq!(refused("empty.txt", b""), "msg-attachment-empty");
    }

    #[test]
    fn runnable_names_are_refused_and_scripts_xml_zipped_documents_and_messages_accepted() {
        let refused = |n: &str, content: &[u8]| content_type(&name(n), content).unwrap_err().key;
        assert_eq!(refused("rollback.bat", b"del /q *"), "msg-attachment-runnable");
        assert_eq!(refused("oppsett.PS1", b"Get-Item"), "msg-attachment-runnable");
        assert_eq!(refused("side.html", b"<p>hei</p>"), "msg-attachment-runnable");
        assert_eq!(content_type(&name("migrate.sh"), b"#!/bin/sh\necho ok\n"), Ok(TEXT));
        assert_eq!(content_type(&name("config.xml"), b"<?xml version=\"1.0\"?><a/>"), Ok(TEXT));
        // A ZIP whose first part is not Microsoft's `[Content_Types].xml` (as LibreOffice
        // and python-docx write them): `infer` calls it a plain ZIP.
        let zip = b"PK\x03\x04\x14\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x08\x00\x00\x00data.csv";
        assert_eq!(infer::get(zip).map(|t| t.mime_type()), Some("application/zip"));
        assert_eq!(
            content_type(&name("plan.docx"), zip),
            Ok("application/vnd.openxmlformats-officedocument.wordprocessingml.document")
        );
        assert_eq!(content_type(&name("arkiv.zip"), zip), Ok("application/zip"));
        let ole = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(infer::get(&ole).map(|t| t.mime_type()), Some("application/x-ole-storage"));
        assert_eq!(content_type(&name("svar.msg"), &ole), Ok("application/vnd.ms-outlook"));
    }

    #[test]
    fn a_name_that_says_another_kind_than_the_content_is_refused() {
        let refused = |n: &str, content: &[u8]| content_type(&name(n), content).unwrap_err().key;
        assert_eq!(refused("rapport.pdf", PNG), "msg-attachment-mismatch");
        assert_eq!(refused("rapport.pdf", b"just text"), "msg-attachment-mismatch");
        assert_eq!(refused("bilde.png", EXE), "msg-attachment-type");
    }
}
