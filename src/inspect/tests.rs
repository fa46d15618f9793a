use super::*;
use crate::rank::rank;
use crate::settings::Checked;
use crate::testing::{profile, HOUR};

/// 2026-11-20T12:00:00Z.
const NOW: i64 = 1_795_176_000_000;

fn snapshot() -> Snapshot {
    let mut p = profile("user_id:p")
        .text("shoe_size", "10.5")
        .text("favorite_category", "Running Shoes")
        .text("phone", "+1 415 555 0142")
        .audience("running_enthusiasts", true);
    for i in 0..12i64 {
        p = p.event(
            &format!("v{i}"),
            NOW - (i + 1) * HOUR,
            "Product Viewed",
            &[
                ("name", &format!("Trail Runner {i}")),
                ("category", "Running Shoes"),
            ],
        );
    }
    p.event(
        "o1",
        NOW - 30 * HOUR,
        "Order Completed",
        &[("product", "running shoes")],
    )
    .compile()
}

fn request(json: &str) -> InspectRequest {
    InspectRequest::from_json(json, NOW).unwrap()
}

#[test]
fn rows_are_the_ranking_then_the_first_items_past_the_limit() {
    let s = snapshot();
    let r = inspect(
        &s,
        &request(r#"{"query": "running shoes in my size", "settings": {"limit": 4}, "below": 3}"#),
    );
    let ranked = rank(
        &s,
        "running shoes in my size",
        NOW,
        &RankSettings {
            limit: 7,
            ..RankSettings::default()
        }
        .checked()
        .unwrap(),
    );
    let ids: Vec<&str> = r.rows.iter().map(|row| row.item.id.as_str()).collect();
    let expected: Vec<&str> = ranked.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, expected, "the rows are the wider ranking, in order");
    for (row, item) in r.rows.iter().zip(&ranked) {
        assert_eq!(row.item.score, item.score);
        assert_eq!(row.item.explain, item.explain);
    }
    let placements: Vec<Placement> = r.rows.iter().map(|row| row.placement).collect();
    assert_eq!(&placements[4..], [Placement::Limit; 3]);
    assert!(placements[..4].iter().all(|p| *p == Placement::Context));
    assert_eq!(r.context.context.items, expected[..4]);
}

#[test]
fn items_over_the_budget_are_marked_so() {
    let s = snapshot();
    let r = inspect(
        &s,
        &request(r#"{"query": "running shoes", "budget_tokens": 60, "below": 0}"#),
    );
    assert!(r.context.context.omitted > 0);
    let over = r
        .rows
        .iter()
        .filter(|row| row.placement == Placement::Budget)
        .count();
    assert_eq!(over, r.context.context.omitted);
    assert!(r.context.context.estimated_tokens <= 60);
}

#[test]
fn each_row_carries_its_line_its_name_and_its_times() {
    let s = snapshot();
    let r = inspect(
        &s,
        &request(r#"{"query": "running shoes in my size", "now": "2026-11-20T12:00:00Z"}"#),
    );
    let text = &r.context.context.text;
    for row in r
        .rows
        .iter()
        .filter(|row| row.placement == Placement::Context)
    {
        assert!(
            text.contains(&format!("\n{}\n", row.line)),
            "{} not in {text}",
            row.line
        );
    }
    let size = r
        .rows
        .iter()
        .find(|row| row.item.id == "trait:shoe_size")
        .unwrap();
    assert_eq!(
        (size.name.as_str(), size.line.as_str()),
        ("shoe_size", "- Shoe size: \"10.5\"")
    );
    let viewed = r
        .rows
        .iter()
        .find(|row| row.name == "Product Viewed")
        .unwrap();
    assert_eq!(viewed.occurrences.len(), 1);
    assert_eq!(viewed.newest_ms, viewed.occurrences.first().copied());
    let phone = inspect(&s, &request(r#"{"query": "phone number"}"#));
    let phone = phone
        .rows
        .iter()
        .find(|row| row.item.id == "trait:phone")
        .unwrap();
    assert_eq!(phone.withheld, Some("phone"));
    assert_eq!(phone.line, "- Phone: on file (withheld)");
}

#[test]
fn occurrences_are_listed_newest_first() {
    let mut p = profile("p");
    for i in 0..5i64 {
        p = p.event(&format!("m{i}"), NOW - i * HOUR, "Ping", &[]);
    }
    let s = p.compile();
    let r = inspect(&s, &request(r#"{"query": "ping"}"#));
    let times = &r.rows[0].occurrences;
    assert_eq!(times.len(), 5);
    assert!(times.windows(2).all(|w| w[0] > w[1]), "{times:?}");
    assert_eq!(times[0], NOW);
}

#[test]
fn lines_add_up_to_the_block_and_name_their_items() {
    let s = snapshot();
    let r = inspect(&s, &request(r#"{"query": "running shoes in my size"}"#));
    let c = &r.context;
    assert_eq!(c.lines.len(), c.context.items.len() + 3);
    let last = c.lines.last().unwrap();
    assert_eq!(last.cumulative_tokens, c.context.estimated_tokens);
    assert_eq!(
        last.cumulative_tokens,
        crate::render::estimate_tokens(&c.context.text)
    );
    assert_eq!(
        c.lines.iter().map(|l| l.chars).sum::<usize>(),
        c.context.text.chars().count()
    );
    let named: Vec<&str> = c.lines.iter().filter_map(|l| l.item.as_deref()).collect();
    assert_eq!(named, c.context.items);
    assert_eq!(c.lines[0].text, "<user_profile_context>");
    assert!(c.lines[0].item.is_none() && last.item.is_none());
    let json = inspect(
        &s,
        &request(r#"{"query": "running shoes", "format": "json"}"#),
    );
    let last = json.context.lines.last().unwrap();
    assert_eq!(
        last.cumulative_tokens,
        json.context.context.estimated_tokens
    );
}

#[test]
fn a_conversation_ranks_as_the_context_does() {
    let s = snapshot();
    let r = inspect(
        &s,
        &request(r#"{"query": ["I like running shoes", "what is my size?"]}"#),
    );
    let turns = ["I like running shoes", "what is my size?"];
    let expected = crate::rank::rank_conversation(&s, &turns, NOW, &Checked::default());
    let ids: Vec<&str> = r
        .rows
        .iter()
        .take(expected.len())
        .map(|row| row.item.id.as_str())
        .collect();
    assert_eq!(
        ids,
        expected.iter().map(|i| i.id.as_str()).collect::<Vec<_>>()
    );
}

#[test]
fn nothing_relevant_is_an_empty_answer() {
    let s = snapshot();
    let r = inspect(&s, &request(r#"{"query": "zzzz qqqq"}"#));
    assert!(r.rows.is_empty());
    assert!(r.context.lines.is_empty());
    assert_eq!(r.context.context.text, "");
}

#[test]
fn the_answer_serializes_with_the_explanations_of_rank() {
    let s = snapshot();
    let r = inspect(
        &s,
        &request(r#"{"query": "running shoes", "page": {"slots": ["trait:shoe_size"]}}"#),
    );
    let v = serde_json::to_value(&r).unwrap();
    let row = &v["rows"][0];
    assert!(row["explain"]["terms"].is_array());
    assert!(row["score"].is_number() && row["placement"] == "context");
    assert_eq!(v["page"]["slots"][0]["value"], "10.5");
    assert_eq!(v["settings"]["limit"], 10);
    assert!(!serde_json::to_string(&r).unwrap().contains("555 0142"));
}
