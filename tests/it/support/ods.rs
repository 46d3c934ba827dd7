//! Minimal LibreOffice `.ods` files for tests, built by hand: the stored
//! `mimetype` first, the manifest, and `content.xml` with one table per sheet.

use std::io::{Cursor, Write};

/// A cell of a test sheet.
pub enum OdsCell<'a> {
    Text(&'a str),
    Number(f64),
    /// A date value (`YYYY-MM-DD`), shown as the text given.
    Date(&'a str, &'a str),
}

fn escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('"', "&quot;")
}

/// An `.ods` with the sheets given, each a name and its rows from A1; `None` leaves a cell empty.
pub fn ods(sheets: &[(&str, Vec<Vec<Option<OdsCell<'_>>>>)]) -> Vec<u8> {
    let mut content = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet>"#,
    );
    for (name, rows) in sheets {
        content.push_str(&format!(r#"<table:table table:name="{}">"#, escaped(name)));
        for row in rows {
            content.push_str("<table:table-row>");
            for cell in row {
                content.push_str(&match cell {
                    None => "<table:table-cell/>".to_string(),
                    Some(OdsCell::Text(text)) => format!(
                        r#"<table:table-cell office:value-type="string"><text:p>{}</text:p></table:table-cell>"#,
                        escaped(text)
                    ),
                    Some(OdsCell::Number(number)) => format!(
                        r#"<table:table-cell office:value-type="float" office:value="{number}"><text:p>{number}</text:p></table:table-cell>"#
                    ),
                    Some(OdsCell::Date(value, shown)) => format!(
                        r#"<table:table-cell office:value-type="date" office:date-value="{value}"><text:p>{}</text:p></table:table-cell>"#,
                        escaped(shown)
                    ),
                });
            }
            content.push_str("</table:table-row>");
        }
        content.push_str("</table:table>");
    }
    content.push_str("</office:spreadsheet></office:body></office:document-content>");
    let manifest = r#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#;
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let deflated = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("mimetype", stored).expect("zip part");
    zip.write_all(b"application/vnd.oasis.opendocument.spreadsheet")
        .expect("zip write");
    for (name, text) in [
        ("META-INF/manifest.xml", manifest.to_string()),
        ("content.xml", content),
    ] {
        zip.start_file(name, deflated).expect("zip part");
        zip.write_all(text.as_bytes()).expect("zip write");
    }
    zip.finish().expect("zip").into_inner()
}
