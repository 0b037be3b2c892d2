//! HTML articles: title and body text through a real parser (html5ever via scraper), with
//! scripts, styles, navigation, headers, footers and forms dropped.

use std::borrow::Cow;

use ego_tree::iter::Edge;
use html5ever::tendril::{StrTendril, TendrilSink};
use html5ever::tree_builder::{ElementFlags, NodeOrText, QuirksMode, TreeSink};
use html5ever::{Attribute, ExpandedName, QualName};
use scraper::{ElementRef, Html, Node, Selector};

use super::formats::Parsed;
use super::IngestError;

/// Most nodes one page may build. A long news page has a few thousand; misnested formatting tags
/// make the parser clone elements, so a small file can ask for millions (a zip-bomb-like page).
pub const MAX_HTML_NODES: usize = 200_000;
/// Most element-name lookups the parser may make for one page. Its scope checks walk the stack of
/// open elements, so each tag costs as much as the nesting depth: 10⁵ nested `<div>` (600 kB)
/// would take about 5·10⁹ lookups, a minute. A long news page needs well under 10⁷.
pub const MAX_HTML_STEPS: u64 = 200_000_000;
/// Input is fed in pieces this large, so that parsing stops soon after a limit is reached.
const FEED_CHUNK: usize = 4 * 1024;

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

/// The text of `root` as blocks. A walk over open/close edges rather than recursion, so that a page
/// nested 100 000 levels deep cannot overflow the stack.
fn collect(root: ElementRef, out: &mut Vec<String>) {
    let mut skipping: Option<ego_tree::NodeId> = None;
    for edge in root.traverse() {
        match edge {
            Edge::Open(node) => {
                if skipping.is_some() || node.id() == root.id() {
                    continue;
                }
                match node.value() {
                    Node::Text(t) => {
                        if let Some(last) = out.last_mut() {
                            last.push_str(t);
                        }
                    }
                    Node::Element(e) => {
                        let Some(el) = ElementRef::wrap(node) else { continue };
                        if is_furniture(&el) {
                            skipping = Some(node.id());
                        } else if BLOCK.contains(&e.name()) {
                            out.push(String::new());
                        }
                    }
                    _ => {}
                }
            }
            Edge::Close(node) => {
                if let Some(id) = skipping {
                    if id == node.id() {
                        skipping = None;
                    }
                    continue;
                }
                if node.id() != root.id() {
                    if let Node::Element(e) = node.value() {
                        if BLOCK.contains(&e.name()) {
                            out.push(String::new());
                        }
                    }
                }
            }
        }
    }
}

/// scraper's tree sink with a node budget. Past the budget the tree is frozen: a new node is a
/// placeholder of the same name (one per name, never attached, so the parser's name checks still
/// hold), and the caller stops feeding input and reports the page.
struct Capped {
    html: Html,
    nodes: usize,
    limit: usize,
    placeholders: std::collections::HashMap<QualName, ego_tree::NodeId>,
    /// The placeholder for comments and processing instructions.
    placeholder: Option<ego_tree::NodeId>,
    /// Element-name lookups so far (the parser's unit of work; counted through `&self`).
    steps: std::cell::Cell<u64>,
}

impl Capped {
    /// Counts one new node; past the limit, gives the placeholder to use instead.
    fn count(&mut self, name: Option<&QualName>) -> Option<ego_tree::NodeId> {
        self.nodes += 1;
        if self.nodes <= self.limit {
            return None;
        }
        let name = name.cloned().unwrap_or_else(|| {
            QualName::new(None, html5ever::Namespace::from("http://www.w3.org/1999/xhtml"), html5ever::LocalName::from("span"))
        });
        if let Some(id) = self.placeholders.get(&name) {
            return Some(*id);
        }
        let id = self.html.create_element(name.clone(), Vec::new(), ElementFlags::default());
        self.placeholders.insert(name, id);
        self.placeholder.get_or_insert(id);
        Some(id)
    }
    fn frozen(&self) -> bool {
        self.nodes > self.limit
    }
}

impl TreeSink for Capped {
    type Output = Capped;
    type Handle = ego_tree::NodeId;

    fn finish(self) -> Capped {
        self
    }
    fn parse_error(&mut self, _msg: Cow<'static, str>) {}
    fn get_document(&mut self) -> Self::Handle {
        self.html.get_document()
    }
    fn elem_name<'a>(&'a self, target: &'a Self::Handle) -> ExpandedName<'a> {
        self.steps.set(self.steps.get() + 1);
        self.html.elem_name(target)
    }
    fn create_element(&mut self, name: QualName, attrs: Vec<Attribute>, flags: ElementFlags) -> Self::Handle {
        match self.count(Some(&name)) {
            Some(p) => p,
            None => self.html.create_element(name, attrs, flags),
        }
    }
    fn create_comment(&mut self, text: StrTendril) -> Self::Handle {
        match self.count(None) {
            Some(p) => p,
            None => self.html.create_comment(text),
        }
    }
    fn create_pi(&mut self, target: StrTendril, data: StrTendril) -> Self::Handle {
        match self.count(None) {
            Some(p) => p,
            None => self.html.create_pi(target, data),
        }
    }
    fn append(&mut self, parent: &Self::Handle, child: NodeOrText<Self::Handle>) {
        if !self.frozen() {
            self.html.append(parent, child)
        }
    }
    fn append_based_on_parent_node(&mut self, element: &Self::Handle, prev: &Self::Handle, child: NodeOrText<Self::Handle>) {
        if !self.frozen() {
            self.html.append_based_on_parent_node(element, prev, child)
        }
    }
    fn append_doctype_to_document(&mut self, name: StrTendril, public_id: StrTendril, system_id: StrTendril) {
        if !self.frozen() {
            self.html.append_doctype_to_document(name, public_id, system_id)
        }
    }
    fn get_template_contents(&mut self, target: &Self::Handle) -> Self::Handle {
        if self.placeholders.values().any(|p| p == target) {
            return *target;
        }
        self.html.get_template_contents(target)
    }
    fn same_node(&self, x: &Self::Handle, y: &Self::Handle) -> bool {
        x == y
    }
    fn set_quirks_mode(&mut self, mode: QuirksMode) {
        self.html.set_quirks_mode(mode)
    }
    fn append_before_sibling(&mut self, sibling: &Self::Handle, new_node: NodeOrText<Self::Handle>) {
        if !self.frozen() {
            self.html.append_before_sibling(sibling, new_node)
        }
    }
    fn add_attrs_if_missing(&mut self, target: &Self::Handle, attrs: Vec<Attribute>) {
        if !self.frozen() {
            self.html.add_attrs_if_missing(target, attrs)
        }
    }
    fn remove_from_parent(&mut self, target: &Self::Handle) {
        if !self.frozen() {
            self.html.remove_from_parent(target)
        }
    }
    fn reparent_children(&mut self, node: &Self::Handle, new_parent: &Self::Handle) {
        if !self.frozen() {
            self.html.reparent_children(node, new_parent)
        }
    }
}

/// Parses a whole page into scraper's tree, refusing pages that build more than `limit` nodes or
/// make the parser work more than [`MAX_HTML_STEPS`].
fn parse_capped(source: &str, limit: usize) -> Result<Html, IngestError> {
    let sink = Capped { html: Html::new_document(), nodes: 0, limit, placeholders: Default::default(), placeholder: None, steps: Default::default() };
    let mut parser = html5ever::driver::parse_document(sink, Default::default());
    let over = |c: &Capped| -> Option<IngestError> {
        if c.frozen() {
            Some(IngestError::HtmlTooComplex(format!("the page builds more than {limit} nodes (a decompression-bomb-like page)")))
        } else if c.steps.get() > MAX_HTML_STEPS {
            Some(IngestError::HtmlTooComplex(format!("parsing needs more than {MAX_HTML_STEPS} steps (elements nested too deep)")))
        } else {
            None
        }
    };
    let mut rest = source;
    while !rest.is_empty() {
        let mut cut = rest.len().min(FEED_CHUNK);
        while !rest.is_char_boundary(cut) {
            cut += 1;
        }
        parser.process(StrTendril::from_slice(&rest[..cut]));
        rest = &rest[cut..];
        if let Some(e) = over(&parser.tokenizer.sink.sink) {
            return Err(e);
        }
    }
    let capped = parser.finish();
    match over(&capped) {
        Some(e) => Err(e),
        None => Ok(capped.html),
    }
}

fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub fn parse_html(source: &str) -> Result<Parsed, IngestError> {
    let doc = parse_capped(source, MAX_HTML_NODES)?;
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
    Ok(Parsed { title, text: paragraphs.join("\n\n"), date, url, line: None })
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
        let p = parse_html(html).unwrap();
        assert_eq!(p.title.as_deref(), Some("Orange investit 1 milliard"));
        assert_eq!(p.text, "Orange investit 1 milliard\n\nLe groupe annonce 1 milliard d’euros.\n\nDeuxième paragraphe.");
        assert_eq!(p.date.as_deref(), Some("2025-03-04T08:00:00+01:00"));
    }

    #[test]
    fn node_cap_refuses_the_page_and_keeps_the_tree_small() {
        let page = "<p>a</p>".repeat(100);
        assert!(parse_capped(&page, 1000).is_ok());
        let err = parse_capped(&page, 50).unwrap_err().to_string();
        assert!(err.contains("more than 50 nodes"), "{err}");
    }

    proptest::proptest! {
        /// Past the node cap the parser keeps running on placeholders until the chunk ends: whatever
        /// the markup, that must end in the error, never in a panic inside html5ever.
        #[test]
        fn frozen_tree_never_panics(tags in proptest::collection::vec(proptest::sample::select(&[
            "<p>", "</p>", "<div>", "</div>", "<b>", "</b>", "<i x=1>", "<i x=2>", "</i>", "<table>", "<td>", "<tr>",
            "</table>", "<template>", "</template>", "<select>", "<option>", "<li>", "<ul>", "</ul>", "<a>", "</a>",
            "<h1>", "</h1>", "<!-- c -->", "<br>", "<form>", "</form>", "<svg>", "</svg>", "<math>", "<frameset>",
            "<body>", "</body>", "</html>", "<head>", "<title>", "</title>", "<script>", "</script>", "<textarea>",
            "<button>", "<p>x", "text", "<nobr>", "<applet>", "<marquee>", "<caption>", "<colgroup>", "<col>",
        ][..]), 0..200), limit in 1usize..60) {
            let page: String = tags.concat();
            let _ = parse_capped(&page, limit);
        }
    }

    #[test]
    fn deep_div_nesting_is_refused_by_the_step_budget() {
        // Each <div> start tag makes the parser walk the whole open-element stack.
        let page = "<div>".repeat(30_000);
        let err = parse_html(&page).unwrap_err().to_string();
        assert!(err.contains("nested too deep"), "{err}");
        assert!(parse_html(&"<div>".repeat(3_000)).is_ok());
    }

    #[test]
    fn page_without_article_uses_body() {
        let p = parse_html("<html><body><p>Un texte.</p></body></html>").unwrap();
        assert_eq!(p.text, "Un texte.");
    }
}
