use super::*;

const SERVER: Server = Server {
    name: "edge-persona",
    version: "0.1.0",
    cache_ttl_ms: 3_600_000,
};

fn run(body: &str, headers: &Headers) -> Action {
    handle(body.as_bytes(), headers, &SERVER)
}

fn answer(body: &str, headers: &Headers) -> (u16, Json) {
    match run(body, headers) {
        Action::Respond { status, body } => (status, body),
        other => panic!("{body}: {other:?}"),
    }
}

fn envelope(version: &str) -> Json {
    json!({PROTOCOL_VERSION_KEY: version, CLIENT_CAPABILITIES_KEY: {}, CLIENT_INFO_KEY: {"name": "t", "version": "1"}})
}

/// A 2026-07-28 request with the headers a conforming client sends.
fn modern_request(method: &str, mut params: Json) -> (String, String) {
    if let Some(obj) = params.as_object_mut() {
        obj.insert("_meta".into(), envelope(MODERN_VERSION));
    }
    let name = params
        .get("name")
        .and_then(Json::as_str)
        .unwrap_or("")
        .to_string();
    (
        json!({"jsonrpc": "2.0", "id": 7, "method": method, "params": params}).to_string(),
        name,
    )
}

fn modern_headers<'a>(method: &'a str, name: &'a str) -> Headers<'a> {
    Headers {
        protocol_version: Some(MODERN_VERSION),
        method: Some(method),
        name: (!name.is_empty()).then_some(name),
    }
}

#[test]
fn discover_lists_every_revision_with_cache_hints_and_result_type() {
    let (body, _) = modern_request("server/discover", json!({}));
    let (status, r) = answer(&body, &modern_headers("server/discover", ""));
    assert_eq!(status, 200);
    let res = &r["result"];
    assert_eq!(res["resultType"], "complete");
    assert_eq!(res["supportedVersions"][0], MODERN_VERSION);
    assert!(res["supportedVersions"]
        .as_array()
        .unwrap()
        .contains(&json!("2025-06-18")));
    assert_eq!(res["capabilities"]["tools"]["listChanged"], false);
    assert_eq!(res["ttlMs"], 3_600_000);
    assert_eq!(res["cacheScope"], "public");
    assert_eq!(res["_meta"][SERVER_INFO_KEY]["name"], "edge-persona");
    let (body, _) = modern_request("tools/list", json!({}));
    let (status, r) = answer(&body, &modern_headers("tools/list", ""));
    assert_eq!(status, 200);
    assert_eq!(r["result"]["resultType"], "complete");
    assert_eq!(r["result"]["cacheScope"], "public");
    assert_eq!(r["result"]["tools"].as_array().unwrap().len(), 4);
    assert!(r["result"].get("capabilities").is_none());
}

#[test]
fn modern_calls_need_matching_headers() {
    let (body, name) = modern_request(
        "tools/call",
        json!({"name": "search_profile", "arguments": {"query": "shoes"}}),
    );
    assert_eq!(
        run(&body, &modern_headers("tools/call", &name)),
        Action::Call {
            era: Era::Modern,
            id: json!(7),
            call: ToolCall::SearchProfile {
                query: "shoes".into(),
                limit: 10
            }
        }
    );
    // The name may come base64-wrapped.
    let wrapped = format!(
        "=?base64?{}?=",
        crate::base64::standard_encode(b"search_profile")
    );
    assert!(matches!(
        run(&body, &modern_headers("tools/call", &wrapped)),
        Action::Call { .. }
    ));
    for (headers, what) in [
        (
            modern_headers("tools/list", &name),
            "Mcp-Method names another method",
        ),
        (
            modern_headers("tools/call", "remember"),
            "Mcp-Name names another tool",
        ),
        (modern_headers("tools/call", ""), "Mcp-Name missing"),
        (
            modern_headers("tools/call", "=?base64?@@@?="),
            "Mcp-Name sentinel broken",
        ),
        (
            Headers {
                protocol_version: None,
                ..modern_headers("tools/call", &name)
            },
            "MCP-Protocol-Version missing",
        ),
        (
            Headers {
                method: None,
                ..modern_headers("tools/call", &name)
            },
            "Mcp-Method missing",
        ),
        (
            Headers {
                protocol_version: Some("2025-11-25"),
                ..modern_headers("tools/call", &name)
            },
            "MCP-Protocol-Version disagrees with the envelope",
        ),
    ] {
        let (status, r) = answer(&body, &headers);
        assert_eq!(
            (status, r["error"]["code"].clone()),
            (400, json!(HEADER_MISMATCH)),
            "{what}"
        );
        assert_eq!(r["id"], 7, "{what}");
    }
}

#[test]
fn modern_envelopes_are_checked_and_unknown_revisions_named() {
    let headers = modern_headers("tools/list", "");
    for meta in [
        json!({PROTOCOL_VERSION_KEY: MODERN_VERSION}),
        json!({PROTOCOL_VERSION_KEY: 2026, CLIENT_CAPABILITIES_KEY: {}}),
        json!({PROTOCOL_VERSION_KEY: MODERN_VERSION, CLIENT_CAPABILITIES_KEY: []}),
        json!({PROTOCOL_VERSION_KEY: MODERN_VERSION, CLIENT_CAPABILITIES_KEY: {}, CLIENT_INFO_KEY: "me"}),
    ] {
        let body =
            json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {"_meta": meta}});
        let (status, r) = answer(&body.to_string(), &headers);
        assert_eq!(
            (status, r["error"]["code"].clone()),
            (400, json!(INVALID_PARAMS)),
            "{meta}"
        );
    }
    // A modern header without any envelope.
    let (status, r) = answer(
        r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#,
        &headers,
    );
    assert_eq!(
        (status, r["error"]["code"].clone()),
        (400, json!(INVALID_PARAMS))
    );
    // A revision this server does not speak, in the envelope.
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {"_meta": envelope("2099-01-01")}});
    let h = Headers {
        protocol_version: Some("2099-01-01"),
        ..headers
    };
    let (status, r) = answer(&body.to_string(), &h);
    assert_eq!(status, 400);
    assert_eq!(r["error"]["code"], UNSUPPORTED_PROTOCOL_VERSION);
    assert_eq!(r["error"]["data"]["requested"], "2099-01-01");
    assert_eq!(r["error"]["data"]["supported"][0], MODERN_VERSION);
    // Methods the stateless revision does not have.
    for method in ["ping", "initialize", "resources/list"] {
        let (body, _) = modern_request(method, json!({}));
        let (status, r) = answer(&body, &modern_headers(method, ""));
        assert_eq!(
            (status, r["error"]["code"].clone()),
            (404, json!(METHOD_NOT_FOUND)),
            "{method}"
        );
    }
    // Tool arguments outside the schema are in-band.
    let (body, name) = modern_request("tools/call", json!({"name": "forget", "arguments": {}}));
    let (status, r) = answer(&body, &modern_headers("tools/call", &name));
    assert_eq!(
        (status, r["error"]["code"].clone()),
        (200, json!(INVALID_PARAMS))
    );
    assert_eq!(r["error"]["message"], "forget: id is required");
}

#[test]
fn initialize_answers_the_clients_revision_when_spoken_else_the_newest() {
    let none = Headers::default();
    let (status, r) = answer(
        r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#,
        &none,
    );
    assert_eq!(status, 200);
    assert_eq!(r["result"]["protocolVersion"], "2025-06-18");
    assert!(r["result"].get("resultType").is_none());
    assert_eq!(r["result"]["serverInfo"]["name"], "edge-persona");
    for asked in ["1999-01-01", MODERN_VERSION] {
        let body = format!(
            r#"{{"jsonrpc":"2.0","id":"a","method":"initialize","params":{{"protocolVersion":"{asked}"}}}}"#
        );
        assert_eq!(
            answer(&body, &none).1["result"]["protocolVersion"],
            HANDSHAKE_VERSIONS[0]
        );
    }
    // An initialize under a modern header is a contradiction.
    let (status, r) = answer(
        r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25"}}"#,
        &Headers {
            protocol_version: Some(MODERN_VERSION),
            ..none
        },
    );
    assert_eq!(
        (status, r["error"]["code"].clone()),
        (400, json!(HEADER_MISMATCH))
    );
}

#[test]
fn handshake_requests_check_what_headers_they_carry() {
    let body = r#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"remember","arguments":{"text":"x"}}}"#;
    let legacy = Headers {
        protocol_version: Some("2025-06-18"),
        ..Headers::default()
    };
    assert!(matches!(
        run(body, &legacy),
        Action::Call {
            era: Era::Handshake,
            ..
        }
    ));
    for headers in [
        Headers {
            method: Some("tools/list"),
            ..legacy
        },
        Headers {
            name: Some("get_user_context"),
            ..legacy
        },
        Headers {
            protocol_version: Some("2001-01-01"),
            ..legacy
        },
    ] {
        let (status, r) = answer(body, &headers);
        assert_eq!(
            (status, r["error"]["code"].clone()),
            (400, json!(INVALID_REQUEST))
        );
    }
    let (status, r) = answer(r#"{"jsonrpc":"2.0","id":8,"method":"ping"}"#, &legacy);
    assert_eq!((status, r["result"].clone()), (200, json!({})));
    let (status, r) = answer(
        r#"{"jsonrpc":"2.0","id":9,"method":"resources/list"}"#,
        &legacy,
    );
    assert_eq!(
        (status, r["error"]["code"].clone()),
        (200, json!(METHOD_NOT_FOUND))
    );
}

#[test]
fn malformed_messages_are_refused_with_their_codes() {
    let none = Headers::default();
    for (body, code) in [
        ("{nope", PARSE_ERROR),
        ("", PARSE_ERROR),
        ("[]", INVALID_REQUEST),
        (
            r#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#,
            INVALID_REQUEST,
        ),
        ("42", INVALID_REQUEST),
        (
            r#"{"jsonrpc":"1.0","id":1,"method":"ping"}"#,
            INVALID_REQUEST,
        ),
        (
            r#"{"jsonrpc":"2.0","id":{},"method":"ping"}"#,
            INVALID_REQUEST,
        ),
        (r#"{"jsonrpc":"2.0","id":1,"method":5}"#, INVALID_REQUEST),
        (
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":[1]}"#,
            INVALID_REQUEST,
        ),
    ] {
        let (status, r) = answer(body, &none);
        assert_eq!(
            (status, r["error"]["code"].clone()),
            (400, json!(code)),
            "{body}"
        );
    }
    for body in [
        r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
        r#"{"jsonrpc":"2.0","id":3,"result":{}}"#,
    ] {
        assert_eq!(run(body, &none), Action::Accepted);
    }
    let (status, _) = answer(
        r#"{"jsonrpc":"2.0","method":"notifications/cancelled"}"#,
        &Headers {
            method: Some("tools/call"),
            ..none
        },
    );
    assert_eq!(status, 400);
}

#[test]
fn results_have_the_era_shape() {
    let ok = tool_result(Era::Modern, &json!(2), json!({"forgotten": "a1"}));
    assert_eq!(ok["result"]["resultType"], "complete");
    assert_eq!(ok["result"]["structuredContent"]["forgotten"], "a1");
    assert_eq!(ok["result"]["content"][0]["text"], r#"{"forgotten":"a1"}"#);
    let old = tool_result(Era::Handshake, &json!(2), json!({}));
    assert!(old["result"].get("resultType").is_none());
    let failed = tool_error(Era::Modern, &json!(2), "no memory a1");
    assert_eq!(failed["result"]["isError"], true);
    assert_eq!(failed["result"]["resultType"], "complete");
    assert_eq!(decode_name("=?base64?w6k=?="), Some("é".into()));
    assert_eq!(decode_name("plain"), Some("plain".into()));
    assert_eq!(decode_name("=?base64?!!?="), None);
}
