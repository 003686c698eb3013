//! The Markdown subset of work notes, rendered safely: paragraphs, emphasis, lists, code,
//! quotes, headings (shown as bold lines) and links to http(s) and mailto addresses.
//! Raw HTML is shown as the text it is, images as their link, any other link as text:
//! nothing in a note can run script, load a resource or leave the page quietly.

use maud::{Markup, PreEscaped};
use pulldown_cmark::{Event, LinkType, Options, Parser, Tag, TagEnd};

fn safe_url(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://") || lower.starts_with("mailto:")
}

/// `text` (a note) as HTML.
pub fn render(text: &str) -> Markup {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_STRIKETHROUGH);
    let mut unsafe_links = 0usize;
    let events = Parser::new_ext(text, options).filter_map(|event| match event {
        // Raw HTML is text.
        Event::Html(html) | Event::InlineHtml(html) => Some(Event::Text(html)),
        Event::Start(Tag::Heading { .. }) => Some(Event::Start(Tag::Strong)),
        Event::End(TagEnd::Heading(_)) => Some(Event::End(TagEnd::Strong)),
        // `<kari@kommune.no>`: an email autolink, made a mailto: link.
        Event::Start(Tag::Link { link_type: LinkType::Email, dest_url, title, id }) => {
            let dest_url = format!("mailto:{dest_url}").into();
            Some(Event::Start(Tag::Link { link_type: LinkType::Inline, dest_url, title, id }))
        }
        // An image becomes a link to it (no external loads); a link must be http(s) or mailto.
        Event::Start(Tag::Image { dest_url, title, id, .. })
        | Event::Start(Tag::Link { dest_url, title, id, .. }) => match safe_url(&dest_url) {
            true => Some(Event::Start(Tag::Link { link_type: LinkType::Inline, dest_url, title, id })),
            false => {
                unsafe_links += 1;
                None
            }
        },
        Event::End(TagEnd::Image) | Event::End(TagEnd::Link) => match unsafe_links {
            0 => Some(Event::End(TagEnd::Link)),
            _ => {
                unsafe_links -= 1;
                None
            }
        },
        Event::Start(Tag::Table(_) | Tag::FootnoteDefinition(_)) => None,
        other => Some(other),
    });
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, events);
    // Links open as links; a note's author is not to be trusted with the referrer.
    PreEscaped(html.replace("<a href=", "<a rel=\"nofollow noreferrer\" href="))
}

#[cfg(test)]
mod tests {
    use super::render;

    fn html(text: &str) -> String {
        render(text).into_string()
    }

    #[test]
    fn the_subset_renders() {
        assert_eq!(html("**bold** and *it*"), "<p><strong>bold</strong> and <em>it</em></p>\n");
        assert!(html("- one\n- two").contains("<li>one</li>"));
        assert!(html("`code`").contains("<code>code</code>"));
        assert!(
            html("Ask <kari@kommune.no>").contains("href=\"mailto:kari@kommune.no\""),
            "an email autolink"
        );
        assert!(html("[vendor](https://vendor.example/notes)")
            .contains("<a rel=\"nofollow noreferrer\" href=\"https://vendor.example/notes\">vendor</a>"));
    }

    #[test]
    fn nothing_in_a_note_runs_loads_or_escapes() {
        for hostile in [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "[x](javascript:alert(1))",
            "![x](https://tracker.example/pixel.png)",
            "<a href=\"javascript:alert(1)\">x</a>",
            "[x](data:text/html;base64,PHNjcmlwdD4=)",
        ] {
            let out = html(hostile);
            assert!(!out.contains("<script"), "{hostile}: {out}");
            assert!(!out.contains("<img"), "{hostile}: {out}");
            // Raw HTML is escaped text; a link this renderer makes is `<a rel=… href=…>`.
            assert!(!out.contains("<a href"), "{hostile}: {out}");
            assert!(!out.contains("noreferrer\" href=\"javascript"), "{hostile}: {out}");
            assert!(!out.contains("noreferrer\" href=\"data:"), "{hostile}: {out}");
        }
        assert!(html("<b>x</b>").contains("&lt;b&gt;x&lt;/b&gt;"), "raw HTML is shown as text");
        assert!(
            html("![pixel](https://tracker.example/p.png)").contains("<a rel="),
            "an image is only its link"
        );
    }
}
