//! Plain-text formats: .txt, .md (front matter or first heading), .json and .jsonl objects.

use chrono::NaiveDate;
use serde_json::Value;

use super::IngestError;

/// What a format parser extracts; `read_bytes` turns it into an `Article`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Parsed {
    pub title: Option<String>,
    pub text: String,
    pub date: Option<String>,
    pub url: Option<String>,
    pub line: Option<usize>,
}

/// `.txt`: the whole file is the text; the first non-empty line is the title.
pub fn parse_txt(text: &str) -> Parsed {
    let title = text.lines().map(str::trim).find(|l| !l.is_empty()).map(str::to_string);
    Parsed { title, text: text.to_string(), ..Default::default() }
}

/// `.md`: YAML-style front matter (`title:`, `date:`) when present, else the first heading.
/// The text is the document after the front matter.
pub fn parse_md(text: &str) -> Parsed {
    let mut title = None;
    let mut date = None;
    let mut url = None;
    let mut body = text;
    let trimmed = text.trim_start_matches('\u{feff}');
    if let Some(rest) = trimmed.strip_prefix("---") {
        if let Some(rest) = rest.strip_prefix('\n').or_else(|| rest.strip_prefix("\r\n")) {
            if let Some(end) = find_front_matter_end(rest) {
                for line in rest[..end].lines() {
                    if let Some((k, v)) = line.split_once(':') {
                        let v = v.trim().trim_matches(|c| c == '"' || c == '\'').to_string();
                        match k.trim().to_ascii_lowercase().as_str() {
                            "title" if !v.is_empty() => title = Some(v),
                            "date" | "published" if !v.is_empty() => date = Some(v),
                            "url" | "link" if !v.is_empty() => url = Some(v),
                            _ => {}
                        }
                    }
                }
                let after = &rest[end..];
                let after = after.strip_prefix("---").unwrap_or(after);
                body = after.trim_start_matches(['\r', '\n']);
            }
        }
    }
    if title.is_none() {
        title = body
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with('#'))
            .map(|l| l.trim_start_matches('#').trim().to_string())
            .filter(|t| !t.is_empty())
            .or_else(|| body.lines().map(str::trim).find(|l| !l.is_empty()).map(str::to_string));
    }
    let text = match &title {
        // Front-matter titles are not in the body: put them in the text so they are analysed too.
        Some(t) if !body.contains(t.as_str()) => format!("{t}\n\n{body}"),
        _ => body.to_string(),
    };
    Parsed { title, text, date, url, line: None }
}

fn find_front_matter_end(rest: &str) -> Option<usize> {
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end() == "---" {
            return Some(offset);
        }
        offset += line.len();
    }
    None
}

const TEXT_FIELDS: &[&str] = &["text", "body", "content", "article", "contenu", "texte"];
const TITLE_FIELDS: &[&str] = &["title", "headline", "titre"];
const DATE_FIELDS: &[&str] = &["published", "date", "published_at", "publishedAt", "datePublished", "pubDate"];
const URL_FIELDS: &[&str] = &["url", "link", "href"];

fn field(obj: &serde_json::Map<String, Value>, names: &[&str]) -> Option<String> {
    names.iter().find_map(|n| match obj.get(*n) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        _ => None,
    })
}

fn from_object(v: &Value) -> Result<Parsed, IngestError> {
    let obj = v.as_object().ok_or_else(|| IngestError::Json("expected a JSON object".into()))?;
    let body = field(obj, TEXT_FIELDS).ok_or(IngestError::NoTextField)?;
    let title = field(obj, TITLE_FIELDS);
    let text = match &title {
        Some(t) if !body.starts_with(t.as_str()) => format!("{t}\n\n{body}"),
        _ => body,
    };
    Ok(Parsed { title, text, date: field(obj, DATE_FIELDS), url: field(obj, URL_FIELDS), line: None })
}

/// `.json`: one article object.
pub fn parse_json(text: &str) -> Result<Parsed, IngestError> {
    let v: Value = serde_json::from_str(text).map_err(|e| IngestError::Json(e.to_string()))?;
    from_object(&v)
}

/// `.jsonl`: one article object per line; each line stands or fails alone (1-based line numbers).
pub fn parse_jsonl(text: &str) -> Vec<(usize, Result<Parsed, IngestError>)> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            let r = serde_json::from_str::<Value>(l)
                .map_err(|e| IngestError::Json(e.to_string()))
                .and_then(|v| from_object(&v));
            (i + 1, r)
        })
        .collect()
}

/// Parses the date forms articles carry: ISO dates and timestamps, `24/01/2025`, `2025/01/24`.
/// Month-only forms ("2025-02") return None: they are kept as written by the caller.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    let head: String = s.chars().take(10).collect();
    for fmt in ["%Y-%m-%d", "%Y/%m/%d", "%d/%m/%Y", "%d.%m.%Y"] {
        if let Ok(d) = NaiveDate::parse_from_str(&head, fmt) {
            return Some(d);
        }
    }
    chrono::DateTime::parse_from_rfc2822(s).ok().map(|d| d.date_naive())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn txt_title_is_first_non_empty_line() {
        let p = parse_txt("\n\n  Meta mise gros  \nCorps.");
        assert_eq!(p.title.as_deref(), Some("Meta mise gros"));
    }

    #[test]
    fn md_front_matter() {
        let p = parse_md("---\ntitle: \"Orange investit\"\ndate: 2025-01-24\n---\n\nLe groupe investit.");
        assert_eq!(p.title.as_deref(), Some("Orange investit"));
        assert_eq!(p.date.as_deref(), Some("2025-01-24"));
        assert_eq!(p.text, "Orange investit\n\nLe groupe investit.");
    }

    #[test]
    fn md_heading_title() {
        let p = parse_md("# Mistral lève 600 M€\n\nLa start-up parisienne...");
        assert_eq!(p.title.as_deref(), Some("Mistral lève 600 M€"));
        assert!(p.text.starts_with("# Mistral"));
    }

    #[test]
    fn json_fields() {
        let p = parse_json(r#"{"headline":"T","content":"Body text.","publishedAt":"2024-03-26T10:00:00Z","url":"https://x"}"#).unwrap();
        assert_eq!(p.title.as_deref(), Some("T"));
        assert_eq!(p.text, "T\n\nBody text.");
        assert_eq!(parse_date(p.date.as_deref().unwrap()), NaiveDate::from_ymd_opt(2024, 3, 26));
    }

    #[test]
    fn truncated_json_is_an_error() {
        assert!(matches!(parse_json(r#"{"title":"T","text":"Bo"#), Err(IngestError::Json(_))));
    }

    #[test]
    fn json_without_text_field() {
        assert!(matches!(parse_json(r#"{"title":"T"}"#), Err(IngestError::NoTextField)));
    }

    #[test]
    fn jsonl_bad_line_is_isolated() {
        let r = parse_jsonl("{\"text\":\"a\"}\n{broken\n\n{\"text\":\"c\"}\n");
        assert_eq!(r.len(), 3);
        assert!(r[0].1.is_ok());
        assert_eq!(r[1].0, 2);
        assert!(r[1].1.is_err());
        assert_eq!(r[2].0, 4);
    }

    #[test]
    fn dates() {
        assert_eq!(parse_date("24/01/2025"), NaiveDate::from_ymd_opt(2025, 1, 24));
        assert_eq!(parse_date("Fri, 24 Jan 2025 10:00:00 +0100"), NaiveDate::from_ymd_opt(2025, 1, 24));
        assert_eq!(parse_date("2025-02"), None);
    }
}
