//! Reading an export for `endring import`: its encoding (UTF-8 with or without a byte
//! order mark, else Windows-1252, which old Norwegian exports use for æ, ø and å), its
//! separator (`;` or `,`, whichever the header row has more of outside quotes), and its
//! records with the line each starts on (a quoted cell may span lines).

use anyhow::Context;
use std::path::Path;

/// A file read and decoded.
pub struct Export {
    pub text: String,
    /// `UTF-8` or `windows-1252`.
    pub encoding: &'static str,
    pub delimiter: u8,
}

/// Decodes `bytes`: UTF-8 (a leading BOM dropped) when they are valid UTF-8; UTF-16
/// when a byte order mark says so (Excel's "Unicode text"); else Windows-1252 (every
/// byte is a character there, so nothing is lost). A file that is UTF-8 in places and
/// not in others (two files pasted together) is refused, naming the line where UTF-8
/// stops, rather than read with its letters garbled.
pub fn decode(bytes: &[u8]) -> anyhow::Result<(String, &'static str)> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok((text.to_owned(), "UTF-8")),
        Err(error) => {
            let utf16 = bytes.starts_with(b"\xff\xfe") || bytes.starts_with(b"\xfe\xff");
            if !utf16 && has_utf8_letters(bytes) {
                let line = 1 + bytes[..error.valid_up_to()].iter().filter(|b| **b == b'\n').count();
                anyhow::bail!(
                    "the file is UTF-8 in places but not on line {line}: save it again in one encoding (UTF-8) and import it"
                );
            }
            // `decode` follows a UTF-16 byte order mark, and uses Windows-1252 without one.
            let (text, used, _) = encoding_rs::WINDOWS_1252.decode(bytes);
            Ok((text.into_owned(), used.name()))
        }
    }
}

/// Whether `bytes` hold a multi-byte UTF-8 letter (a lead byte and its continuation
/// bytes), which Windows-1252 text almost never does (`Ã¸` is how `ø` misreads).
fn has_utf8_letters(bytes: &[u8]) -> bool {
    bytes.windows(2).any(|pair| matches!(pair[0], 0xc3..=0xc5) && matches!(pair[1], 0x80..=0xbf))
}

/// `;` or `,`: the one the first line holds more of outside quotes (`,` on a tie).
pub fn delimiter(text: &str) -> u8 {
    let (mut semicolons, mut commas, mut quoted) = (0, 0, false);
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            '\n' if !quoted => break,
            ';' if !quoted => semicolons += 1,
            ',' if !quoted => commas += 1,
            _ => {}
        }
    }
    if semicolons > commas {
        b';'
    } else {
        b','
    }
}

pub fn read(path: &Path) -> anyhow::Result<Export> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let (text, encoding) = decode(&bytes)?;
    let delimiter = delimiter(&text);
    Ok(Export { text, encoding, delimiter })
}

impl Export {
    /// A reader of the records; the first is the header row.
    pub fn records(&self) -> csv::Reader<&[u8]> {
        csv::ReaderBuilder::new()
            .delimiter(self.delimiter)
            .has_headers(true)
            .flexible(true)
            .from_reader(self.text.as_bytes())
    }

    /// Data rows (the header row aside), for a progress bar.
    pub fn count(&self) -> usize {
        self.records().records().count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_with_and_without_bom_and_windows_1252_read_the_same() {
        let utf8 = "navn;eier\nLønnssystem;kåre@kommune.no\n";
        assert_eq!(decode(utf8.as_bytes()).unwrap(), (utf8.to_owned(), "UTF-8"));
        let with_bom = [b"\xef\xbb\xbf".as_slice(), utf8.as_bytes()].concat();
        assert_eq!(decode(&with_bom).unwrap(), (utf8.to_owned(), "UTF-8"));
        let cp1252: Vec<u8> = b"navn;eier\nL\xf8nnssystem;k\xe5re@kommune.no\n".to_vec();
        assert_eq!(decode(&cp1252).unwrap(), (utf8.to_owned(), "windows-1252"));
        // 0x80 is the euro sign in Windows-1252, not a control character.
        assert_eq!(decode(b"pris \x80 100").unwrap().0, "pris € 100");
        // UTF-8 first, Windows-1252 from line 3: refused, naming the line.
        let mixed = [utf8.as_bytes(), b"Ny;p\xe5l@kommune.no\n"].concat();
        let refused = decode(&mixed).unwrap_err().to_string();
        assert!(refused.contains("not on line 3"), "{refused}");
        let utf16: Vec<u8> =
            [0xff, 0xfe].into_iter().chain("navn\nLønn".encode_utf16().flat_map(u16::to_le_bytes)).collect();
        assert_eq!(decode(&utf16).unwrap(), ("navn\nLønn".to_owned(), "UTF-16LE"));
    }

    #[test]
    fn the_separator_is_the_one_the_header_has_more_of() {
        assert_eq!(delimiter("id;title;state\n1,2;x;y"), b';');
        assert_eq!(delimiter("id,title,state\n1;2;3;4"), b',');
        assert_eq!(delimiter("\"a;b;c\",d,e\n"), b',', "quoted separators do not count");
        assert_eq!(delimiter("single\n"), b',');
    }

    #[test]
    fn records_keep_the_line_each_starts_on_across_quoted_line_breaks() {
        let export = Export {
            text: "id;title\n1;\"two\nlines\"\n2;next\n".into(),
            encoding: "UTF-8",
            delimiter: b';',
        };
        let lines: Vec<u64> =
            export.records().records().map(|r| r.unwrap().position().unwrap().line()).collect();
        assert_eq!(lines, [2, 4]);
        assert_eq!(export.count(), 2);
    }
}

/// What to import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Cis,
    Changes,
}

/// Rows one transaction writes.
pub const BATCH: usize = 500;

/// Imports `export` through the services, a batch at a time, showing progress on `out`'s
/// terminal (a bar) or as plain lines (every tenth of the file); the report, or where it
/// stopped.
pub fn run(
    ctx: &crate::services::Ctx,
    export: &Export,
    kind: Kind,
    options: crate::services::import::Options,
) -> Result<crate::services::import::Report, Stopped> {
    use crate::services::import::{ChangeImport, CiImport, Row};
    use std::io::IsTerminal;
    let total = export.count();
    let mut reader = export.records();
    let headers: Vec<String> = match reader.headers() {
        Ok(headers) => headers.iter().map(str::to_owned).collect(),
        Err(error) => return Err(Stopped::before(format!("cannot read the header row: {error}"))),
    };
    let header_refs: Vec<&str> = headers.iter().map(String::as_str).collect();
    enum Import {
        Cis(CiImport),
        Changes(ChangeImport),
    }
    let begun = match kind {
        Kind::Cis => CiImport::begin(ctx, &header_refs, options).map(Import::Cis),
        Kind::Changes => ChangeImport::begin(ctx, &header_refs, options).map(Import::Changes),
    };
    let mut import = begun.map_err(|e| Stopped::before(e.to_string()))?;
    let terminal = std::io::stderr().is_terminal();
    let bar = match terminal {
        true => indicatif::ProgressBar::new(total as u64),
        false => indicatif::ProgressBar::hidden(),
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} rows, {per_sec}, {eta} left")
            .expect("a valid template"),
    );
    let step = (total / 10).max(BATCH);
    let (mut done, mut next_line) = (0usize, step);
    let mut batch: Vec<Row> = Vec::with_capacity(BATCH);
    let mut write = |import: &mut Import, batch: &mut Vec<Row>, done: &mut usize| -> Result<(), Stopped> {
        let written = match import {
            Import::Cis(i) => i.batch(ctx, batch),
            Import::Changes(i) => i.batch(ctx, batch),
        };
        if let Err(error) = written {
            let first = batch.first().map_or(0, |r| r.line);
            let report = match import {
                Import::Cis(i) => i.report().clone(),
                Import::Changes(i) => i.report().clone(),
            };
            return Err(Stopped {
                at_line: Some(first),
                error: error.to_string(),
                report: Some(Box::new(report)),
            });
        }
        *done += batch.len();
        bar.set_position(*done as u64);
        if !terminal && (*done >= next_line || *done == total) {
            eprintln!("{done} of {total} rows read");
            next_line = *done + step;
        }
        batch.clear();
        Ok(())
    };
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                let report = match &import {
                    Import::Cis(i) => i.report().clone(),
                    Import::Changes(i) => i.report().clone(),
                };
                return Err(Stopped {
                    at_line: e.position().map(|p| p.line()),
                    error: format!("the file cannot be read as CSV: {e}"),
                    report: Some(Box::new(report)),
                });
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        batch.push(Row { line, cells: record.iter().map(str::to_owned).collect() });
        if batch.len() == BATCH {
            write(&mut import, &mut batch, &mut done)?;
        }
    }
    if !batch.is_empty() {
        write(&mut import, &mut batch, &mut done)?;
    }
    bar.finish_and_clear();
    let finished = match import {
        Import::Cis(i) => i.finish(ctx),
        Import::Changes(i) => i.finish(ctx),
    };
    finished.map_err(|e| Stopped { at_line: None, error: e.to_string(), report: None })
}

/// Why an import stopped before its end: rows before `at_line` were written (run the
/// command again to continue; what was imported is skipped).
#[derive(Debug)]
pub struct Stopped {
    pub at_line: Option<u64>,
    pub error: String,
    /// What was done and rejected before it stopped (none when it never began).
    pub report: Option<Box<crate::services::import::Report>>,
}

impl Stopped {
    fn before(error: String) -> Stopped {
        Stopped { at_line: None, error, report: None }
    }
}

impl std::fmt::Display for Stopped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.at_line {
            Some(line) => write!(
                f,
                "stopped at the batch starting on line {line}: {}. The rows before it are imported; run the same command again to continue (what is imported is skipped)",
                self.error
            ),
            None => write!(f, "{}", self.error),
        }
    }
}
