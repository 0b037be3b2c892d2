//! HTML articles: title and body text through a real parser (html5ever via scraper), with
//! scripts, styles, navigation, headers, footers and forms dropped.

use scraper::{ElementRef, Html, Node, Selector};

use super::formats::Parsed;

const SKIP: &[&str] = &[
    "script", "style", "noscript", "nav", "footer", "header", "aside", "form", "iframe", "svg", "button", "template",
    "select", "figure",
];
const BLOCK: &[&str] = &[
    "p", "div", "section", "article", "main", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "blockquote",
    "br", "tr", "table", "dd", "dt", "pre",
];
/// Class or id words that mark page furniture rather than the article.
const FURNITURE: &[&str] = &["nav", "menu", "footer", "cookie", "share", "newsletter", "related", "breadcrumb", "sidebar", "comments"];

fn sel(s: &str) -> Selector {
    Selector::parse(s).expect("static selector")
}

fn is_furniture(el: &ElementRef) -> bool {
    let v = el.value();
    if SKIP.contains(&v.name()) {
        return true;
    }
    let marks = [v.attr("class").unwrap_or(""), v.attr("id").unwrap_or(""), v.attr("role").unwrap_or("")].join(" ").to_ascii_lowercase();
    marks.split(|c: char| !c.is_ascii_alphanumeric()).any(|w| FURNITURE.contains(&w) || w == "navigation")
}

fn collect(el: ElementRef, out: &mut Vec<String>) {
    for child in el.children() {
        match child.value() {
            Node::Text(t) => {
                if let Some(last) = out.last_mut() {
                    last.push_str(t);
                }
            }
            Node::Element(e) => {
                let Some(child_el) = ElementRef::wrap(child) else { continue };
                if is_furniture(&child_el) {
                    continue;
                }
                let block = BLOCK.contains(&e.name());
                if block {
                    out.push(String::new());
                }
                collect(child_el, out);
                if block {
                    out.push(String::new());
                }
            }
            _ => {}
        }
    }
}

fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub fn parse_html(source: &str) -> Parsed {
    let doc = Html::parse_document(source);
    let meta = |name: &str| -> Option<String> {
        let s = sel(&format!("meta[property=\"{name}\"], meta[name=\"{name}\"], meta[itemprop=\"{name}\"]"));
        doc.select(&s).find_map(|m| m.value().attr("content")).map(squash).filter(|s| !s.is_empty())
    };
    let first_text = |s: &str| doc.select(&sel(s)).next().map(|e| squash(&e.text().collect::<String>())).filter(|s| !s.is_empty());

    let root = ["article", "main", "[role=main]", "body"]
        .iter()
        .find_map(|s| doc.select(&sel(s)).next())
        .unwrap_or_else(|| doc.root_element());
    let mut blocks = vec![String::new()];
    collect(root, &mut blocks);
    let mut paragraphs: Vec<String> = blocks.iter().map(|b| squash(b)).filter(|b| !b.is_empty()).collect();

    let title = first_text("article h1").or_else(|| first_text("h1")).or_else(|| meta("og:title")).or_else(|| first_text("title"));
    if let Some(t) = &title {
        if paragraphs.first() != Some(t) {
            paragraphs.insert(0, t.clone());
        }
    }
    let date = meta("article:published_time")
        .or_else(|| meta("datePublished"))
        .or_else(|| meta("date"))
        .or_else(|| doc.select(&sel("time[datetime]")).next().and_then(|t| t.value().attr("datetime").map(str::to_string)));
    let url = doc
        .select(&sel("link[rel=canonical]"))
        .next()
        .and_then(|l| l.value().attr("href").map(str::to_string))
        .or_else(|| meta("og:url"));
    Parsed { title, text: paragraphs.join("\n\n"), date, url, line: None }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn article_body_without_furniture() {
        let html = r#"<html><head><title>Site | Orange investit</title><style>p{color:red}</style>
        <meta property="article:published_time" content="2025-03-04T08:00:00+01:00"></head>
        <body><nav><a href="/">Accueil</a><a>Économie</a></nav><header>Le Journal</header>
        <article><h1>Orange investit 1 milliard</h1><p>Le groupe   annonce <b>1 milliard</b> d’euros.</p>
        <script>var x = "ignore";</script><p>Deuxième paragraphe.</p><div class="share">Partager</div></article>
        <footer>Mentions légales</footer></body></html>"#;
        let p = parse_html(html);
        assert_eq!(p.title.as_deref(), Some("Orange investit 1 milliard"));
        assert_eq!(p.text, "Orange investit 1 milliard\n\nLe groupe annonce 1 milliard d’euros.\n\nDeuxième paragraphe.");
        assert_eq!(p.date.as_deref(), Some("2025-03-04T08:00:00+01:00"));
    }

    #[test]
    fn page_without_article_uses_body() {
        let p = parse_html("<html><body><p>Un texte.</p></body></html>");
        assert_eq!(p.text, "Un texte.");
    }
}
