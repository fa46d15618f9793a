//! The rewriter end to end: slots, conditions and variants whatever the chunking, holding and
//! releasing, raw-text elements, oversized and unclosed groups, markers, other encodings.

use std::rc::Rc;

use super::*;
use crate::import::ImportLimits;
use crate::personalizer::Personalizer;
use crate::policy::PrivacyPolicy;
use crate::slots::MAX_VARIANTS_PER_GROUP;

fn personalizer() -> Rc<Personalizer> {
    let bundle = r#"{"profile_id":"user_id:u","traits":{"traits":{"first_name":"Ana <b> é 日本","email":"a@example.com",
        "running_enthusiasts":true,"sms_opt_in":false,"css":"@import url(//evil.example/x.css)"}},
        "events":{"data":[{"message_id":"m","event":"Product Viewed","timestamp":"2026-11-20T11:00:00Z",
        "properties":{"category":"Running Shoes","name":"Trail Runner 5"}}]}}"#;
    Rc::new(
        Personalizer::from_profile(bundle, &PrivacyPolicy::default(), &ImportLimits::default())
            .unwrap(),
    )
}

fn settings(max_group_bytes: usize, content_type: &str) -> HtmlSettings {
    let (encoding, charset_from_meta) = html_encoding(content_type).unwrap();
    HtmlSettings {
        max_group_bytes,
        encoding,
        charset_from_meta,
    }
}

fn rewrite_bytes(html: &[u8], chunk: usize, s: &HtmlSettings) -> Vec<u8> {
    let mut r = SlotRewriter::new(personalizer(), 1_795_000_000_000, s, 0x1234_5678_9abc_def0);
    let mut out = Vec::new();
    for c in html.chunks(chunk.max(1)) {
        out.extend(r.push(c).unwrap());
    }
    out.extend(r.finish().unwrap());
    out
}

fn rewrite(html: &str, chunk: usize) -> String {
    let s = settings(HtmlSettings::DEFAULT_MAX_GROUP_BYTES, "text/html");
    String::from_utf8(rewrite_bytes(html.as_bytes(), chunk, &s)).unwrap()
}

const PAGE: &str = r#"<p>Hi <b data-persona="trait:first_name" data-persona-default="there">x</b>
<i data-persona="trait:email" data-persona-default="A &amp; B">y</i>
<span data-persona-if="audience:running_enthusiasts" hidden>RUN</span><span data-persona-unless="trait:sms_opt_in">SMS</span>
<span data-persona-if="event:Order Completed">ORDER</span>
<ul data-persona-variants><li data-persona-variant="golf">G</li><li data-persona-variant="running shoes" hidden>R</li>
<li data-persona-variant="knitting"><ul data-persona-variants><li data-persona-variant="yoga">Y</li><li data-persona-variant="zebra">Z</li></ul></li></ul>
<div data-persona-variants><p data-persona-variant="zebra">1</p><p data-persona-variant="quartz">2</p></div></p>"#;

#[test]
fn slots_conditions_and_variants_whatever_the_chunking() {
    let one = rewrite(PAGE, usize::MAX);
    assert!(one.contains(">Ana &lt;b&gt; é 日本</b>"), "{one}");
    assert!(
        one.contains(">A &amp; B</i>"),
        "withheld → default, decoded then escaped once: {one}"
    );
    assert!(one.contains("RUN") && one.contains("SMS") && !one.contains("ORDER"));
    assert!(one.contains(">R</li>") && !one.contains(">G</li>"), "{one}");
    assert!(
        !one.contains(">Y</li>"),
        "nested group dropped with its variant"
    );
    assert!(
        !one.contains("hidden"),
        "shown elements lose an authored hidden: {one}"
    );
    assert!(one.contains(r#"<ul data-persona-variants data-persona-chosen="1">"#));
    assert!(
        one.contains("<div data-persona-variants><p"),
        "no match: as authored"
    );
    assert!(one.contains(">1</p>") && one.contains(">2</p>"));
    assert!(!one.contains("<!--ep"), "{one}");
    for chunk in [1, 2, 3, 7, 64] {
        assert_eq!(rewrite(PAGE, chunk), one, "chunk size {chunk}");
    }
}

#[test]
fn output_streams_except_inside_a_variants_group() {
    let s = settings(HtmlSettings::DEFAULT_MAX_GROUP_BYTES, "text/html");
    let mut r = SlotRewriter::new(personalizer(), 0, &s, 1);
    let first = r
        .push(b"<p>hello</p><div data-persona-variants><i data-persona-variant=\"golf\">")
        .unwrap();
    assert!(String::from_utf8_lossy(&first).contains("hello"));
    assert!(!String::from_utf8_lossy(&first).contains("golf"));
    let rest = [
        r.push(b"g</i></div><p>after</p>").unwrap(),
        r.finish().unwrap(),
    ]
    .concat();
    let rest = String::from_utf8(rest).unwrap();
    assert!(rest.contains("golf") && rest.contains("after"), "{rest}");
}

#[test]
fn a_truncated_document_is_released_without_markers() {
    let out = rewrite(
        "<div data-persona-variants><i data-persona-variant=\"a\">x",
        5,
    );
    assert!(out.contains('x') && !out.contains("<!--ep"), "{out}");
}

#[test]
fn no_slot_inside_raw_text_elements_nor_in_attributes() {
    let page = r#"<title data-persona="trait:first_name">T</title><style data-persona="trait:css">S</style>
<script data-persona="trait:first_name">J</script><textarea data-persona="trait:first_name">A</textarea>
<noscript data-persona="trait:first_name">N</noscript><template><b data-persona="trait:first_name">P</b></template>
<svg><style><tspan data-persona="trait:css">V</tspan></style></svg><style data-persona-if="trait:nope">x</style>
<em data-persona="trait:first_name" onclick="go()">after</em>"#;
    let out = rewrite(page, usize::MAX);
    for kept in [">T<", ">S<", ">J<", ">A<", ">N<", ">P<", ">V<"] {
        assert!(out.contains(kept), "{kept} in {out}");
    }
    assert!(!out.contains("evil.example"), "{out}");
    assert!(
        out.contains(
            r#"<em data-persona="trait:first_name" onclick="go()">Ana &lt;b&gt; é 日本</em>"#
        ),
        "slots outside still filled, attributes untouched: {out}"
    );
}

#[test]
fn an_oversized_group_is_released_as_authored_and_the_rest_still_personalized() {
    let mut page = String::from("<div id=a data-persona-variants>");
    for i in 0..200 {
        page.push_str(&format!(
            "<p data-persona-variant=\"running shoes {i}\" hidden>{}</p>",
            "x".repeat(100)
        ));
    }
    page.push_str("</div><section data-persona-variants><p data-persona-variant=\"golf\">G</p><p data-persona-variant=\"running\" hidden>R</p></section>");
    let s = settings(HtmlSettings::MIN_GROUP_BYTES, "text/html");
    let out = String::from_utf8(rewrite_bytes(page.as_bytes(), 1000, &s)).unwrap();
    assert_eq!(
        out.matches("<p data-persona-variant=\"running shoes")
            .count(),
        200
    );
    assert_eq!(out.matches("hidden").count(), 200, "as authored");
    assert!(out.contains(r#"<section data-persona-variants data-persona-chosen="1"><p data-persona-variant="running">R</p></section>"#), "{}", &out[out.len() - 200..]);
    assert!(!out.contains("<!--ep"));
}

#[test]
fn an_unclosed_group_is_released_once_it_passes_the_bound() {
    let s = settings(HtmlSettings::MIN_GROUP_BYTES, "text/html");
    let mut r = SlotRewriter::new(personalizer(), 0, &s, 7);
    let mut released = r
        .push(b"<div data-persona-variants><p data-persona-variant=\"running\">R</p>")
        .unwrap();
    for _ in 0..10 {
        released.extend(
            r.push(format!("<p>{}</p>", "y".repeat(1000)).as_bytes())
                .unwrap(),
        );
    }
    let text = String::from_utf8(released).unwrap();
    assert!(
        text.contains(">R</p>") && text.len() > 8000,
        "{}",
        text.len()
    );
    assert!(!text.contains("<!--ep"));
}

#[test]
fn implied_end_tags_void_variants_and_many_variants() {
    // lol_html does not close `<li>` implicitly: the later items are not children of the group,
    // so it is not personalized, and stays whole.
    let page = "<ul data-persona-variants><li data-persona-variant=golf>G<li data-persona-variant='running shoes'>R<li data-persona-variant=yoga>Y</ul>";
    assert_eq!(rewrite(page, 4), page);
    let out = rewrite(
        r#"<div data-persona-variants><img data-persona-variant="golf" src=g><img hidden data-persona-variant="running" src=r></div>"#,
        3,
    );
    assert_eq!(
        out,
        r#"<div data-persona-variants data-persona-chosen="1"><img data-persona-variant="running" src=r></div>"#
    );
    let many: String = (0..=MAX_VARIANTS_PER_GROUP)
        .map(|i| format!("<i data-persona-variant=\"running {i}\">{i}</i>"))
        .collect();
    let out = rewrite(&format!("<div data-persona-variants>{many}</div>"), 50);
    assert!(
        !out.contains("data-persona-chosen"),
        "over {MAX_VARIANTS_PER_GROUP} variants: as authored"
    );
}

#[test]
fn markers_cannot_be_forged_by_values_nor_met_by_authored_comments() {
    let page = "<!--ep0000000000000007g0--><div data-persona-variants><p data-persona-variant=running>R</p><p data-persona-variant=golf>G</p></div><!-- ep -->";
    let s = settings(HtmlSettings::DEFAULT_MAX_GROUP_BYTES, "text/html");
    let out = String::from_utf8(rewrite_bytes(page.as_bytes(), 2, &s)).unwrap();
    assert!(
        out.starts_with("<!--ep0000000000000007g0-->"),
        "authored comment kept: {out}"
    );
    assert!(
        out.ends_with("<!-- ep -->") && !out.contains(">G<"),
        "{out}"
    );
}

#[test]
fn other_encodings_round_trip() {
    // windows-1252 from Content-Type: é is 0xE9; a value's 日本 becomes character references.
    let page = b"<p data-persona=\"trait:first_name\">x</p><div data-persona-variants><p data-persona-variant=golf>Caf\xe9 G</p><p data-persona-variant=running hidden>Caf\xe9 R</p></div>";
    let out = rewrite_bytes(
        page,
        5,
        &settings(1 << 20, "text/html; charset=windows-1252"),
    );
    assert!(
        out.starts_with(
            b"<p data-persona=\"trait:first_name\">Ana &lt;b&gt; \xe9 &#26085;&#26412;</p>"
        ),
        "{}",
        String::from_utf8_lossy(&out)
    );
    assert!(
        out.ends_with(b"<p data-persona-variant=running>Caf\xe9 R</p></div>"),
        "{}",
        String::from_utf8_lossy(&out)
    );
    // Shift_JIS from <meta charset>: 表 is 95 5C (a backslash as its second byte).
    let page = b"<meta charset=shift_jis><p data-persona=\"trait:first_name\">x</p><div data-persona-variants><p data-persona-variant=golf>\x95\x5c G</p><p data-persona-variant=running>\x95\x5c R</p></div>";
    let out = rewrite_bytes(page, 3, &settings(1 << 20, "text/html"));
    assert!(
        out.windows(4).any(|w| w == b"\x93\xfa\x96\x7b"),
        "日本 in Shift_JIS: {:?}",
        out
    );
    assert!(out.ends_with(b"<p data-persona-variant=running>\x95\x5c R</p></div>"));
    assert!(html_encoding("text/html; charset=utf-16").is_none());
    assert!(html_encoding("text/html; charset=\"bogus\"").is_none());
    assert_eq!(
        html_encoding("text/html; Charset=\"Shift_JIS\"").map(|(_, m)| m),
        Some(false)
    );
}
