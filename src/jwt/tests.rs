use super::*;

const NOW: i64 = 1_795_000_000_000;
const ISS: &str = "https://issuer.example.com/";
const AUD: &str = "https://persona.example.com/mcp";

fn b64(v: &Json) -> String {
    base64::url_encode(v.to_string().as_bytes())
}

fn token(header: Json, claims: Json, sig_len: usize) -> String {
    format!(
        "{}.{}.{}",
        b64(&header),
        b64(&claims),
        base64::url_encode(&vec![7u8; sig_len])
    )
}

fn rules() -> ClaimRules {
    ClaimRules {
        issuer: ISS.into(),
        audience: AUD.into(),
        subject_claim: "sub".into(),
        skew_seconds: 60,
        required_scopes: vec!["persona".into()],
    }
}

fn claims(extra: Json) -> Map<String, Json> {
    let mut c = json!({"iss": ISS, "aud": AUD, "sub": "ana", "exp": NOW / 1000 + 600, "iat": NOW / 1000, "scope": "openid persona"});
    if let (Some(c), Some(e)) = (c.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            if v.is_null() {
                c.remove(k);
            } else {
                c.insert(k.clone(), v.clone());
            }
        }
    }
    c.as_object().cloned().unwrap()
}

#[test]
fn tokens_are_split_and_their_algorithm_read() {
    let t = token(
        json!({"alg": "ES256", "kid": "k1", "typ": "at+jwt"}),
        json!({"sub": "ana"}),
        64,
    );
    let p = parse(&t).unwrap();
    assert_eq!((p.alg, p.kid.as_deref()), (Alg::Es256, Some("k1")));
    assert_eq!(p.signature.len(), 64);
    assert!(t.starts_with(p.signing_input));
    assert_eq!(p.claims["sub"], "ana");
    assert_eq!(header_alg(&t).as_deref(), Some("ES256"));
    let rs = token(json!({"alg": "RS256"}), json!({}), 256);
    assert_eq!(parse(&rs).unwrap().alg, Alg::Rs256);
}

#[test]
fn other_algorithms_and_malformed_tokens_are_refused() {
    for alg in ["none", "HS256", "RS512", "PS256", "ES384", "EdDSA"] {
        let t = token(json!({"alg": alg}), json!({"sub": "ana"}), 64);
        assert_eq!(parse(&t), Err(JwtError::UnsupportedAlgorithm), "{alg}");
    }
    let crit = token(json!({"alg": "RS256", "crit": ["b64"]}), json!({}), 256);
    assert_eq!(parse(&crit), Err(JwtError::UnsupportedAlgorithm));
    let long = "a".repeat(MAX_TOKEN_BYTES + 1);
    let short_sig = token(json!({"alg": "ES256"}), json!({}), 63);
    let kid_number = token(json!({"alg": "ES256", "kid": 5}), json!({}), 64);
    let claims_array = format!("{}.{}.AA", b64(&json!({"alg": "RS256"})), b64(&json!([1])));
    for t in [
        "",
        ".",
        "..",
        "a.b",
        "a.b.c.d",
        "e30.e30.!!",
        long.as_str(),
        short_sig.as_str(),
        kid_number.as_str(),
        claims_array.as_str(),
        "\u{0}.\u{0}.\u{0}",
    ] {
        assert_eq!(parse(t).map(|p| p.alg), Err(JwtError::Malformed), "{t:.40}");
    }
    assert_eq!(header_alg("nope"), None);
}

#[test]
fn claims_are_checked_with_bounded_skew() {
    assert_eq!(
        check_claims(&claims(json!({})), &rules(), NOW),
        Ok(Subject {
            user_id: "ana".into(),
            expires_at: NOW / 1000 + 600
        })
    );
    let array_aud = claims(json!({"aud": ["https://other.example", AUD]}));
    assert!(check_claims(&array_aud, &rules(), NOW).is_ok());
    let scp = claims(json!({"scope": null, "scp": ["persona"]}));
    assert!(check_claims(&scp, &rules(), NOW).is_ok());
    let exp = NOW / 1000;
    for (extra, now, error) in [
        (
            json!({"iss": "https://evil.example/"}),
            NOW,
            JwtError::WrongIssuer,
        ),
        (json!({"iss": null}), NOW, JwtError::WrongIssuer),
        (
            json!({"aud": "https://persona.example.com"}),
            NOW,
            JwtError::WrongAudience,
        ),
        (json!({"aud": [1, 2]}), NOW, JwtError::WrongAudience),
        (json!({"exp": null}), NOW, JwtError::Expired),
        (json!({"exp": exp - 61}), NOW, JwtError::Expired),
        (json!({"exp": "soon"}), NOW, JwtError::Malformed),
        (json!({"nbf": exp + 61}), NOW, JwtError::NotYetValid),
        (json!({"iat": exp + 3600}), NOW, JwtError::NotYetValid),
        (json!({"scope": "openid"}), NOW, JwtError::InsufficientScope),
        (json!({"scope": null}), NOW, JwtError::InsufficientScope),
        (json!({"sub": null}), NOW, JwtError::NoSubject),
        (json!({"sub": 42}), NOW, JwtError::NoSubject),
        (json!({"sub": "a\nb"}), NOW, JwtError::NoSubject),
        (json!({"sub": "x".repeat(300)}), NOW, JwtError::NoSubject),
    ] {
        assert_eq!(
            check_claims(&claims(extra.clone()), &rules(), now),
            Err(error),
            "{extra}"
        );
    }
    // Within the skew, an expired token still holds; past it, not.
    let just = claims(json!({"exp": exp - 30}));
    assert!(check_claims(&just, &rules(), NOW).is_ok());
    // A skew setting beyond the bound is held to it.
    let wide = ClaimRules {
        skew_seconds: 100_000,
        ..rules()
    };
    assert_eq!(
        check_claims(&claims(json!({"exp": exp - 301})), &wide, NOW),
        Err(JwtError::Expired)
    );
    // Another subject claim.
    let email_sub = ClaimRules {
        subject_claim: "uid".into(),
        ..rules()
    };
    assert_eq!(
        check_claims(&claims(json!({"uid": "u-9"})), &email_sub, NOW)
            .unwrap()
            .user_id,
        "u-9"
    );
}

fn rsa_key(kid: &str) -> Json {
    json!({"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256", "n": base64::url_encode(&[0xc3; 256]), "e": "AQAB"})
}

fn ec_key(kid: &str) -> Json {
    json!({"kty": "EC", "kid": kid, "crv": "P-256", "x": base64::url_encode(&[1; 32]), "y": base64::url_encode(&[2; 32])})
}

#[test]
fn jwks_keep_usable_signing_keys_and_find_by_kid() {
    let body = json!({"keys": [
        rsa_key("r1"), ec_key("e1"),
        {"kty": "RSA", "kid": "enc", "use": "enc", "n": base64::url_encode(&[1; 256]), "e": "AQAB"},
        {"kty": "RSA", "kid": "small", "n": base64::url_encode(&[1; 128]), "e": "AQAB"},
        {"kty": "EC", "kid": "p384", "crv": "P-384", "x": "AA", "y": "AA"},
        {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"},
        {"kty": "RSA", "kid": "ps", "alg": "PS256", "n": base64::url_encode(&[1; 256]), "e": "AQAB"},
        "not a key", 7, null,
    ]});
    let jwks = Jwks::parse(body.to_string().as_bytes()).unwrap();
    let kids: Vec<_> = jwks
        .keys
        .iter()
        .map(|k| k.kid.as_deref().unwrap())
        .collect();
    assert_eq!(kids, ["r1", "e1"]);
    assert_eq!(
        jwks.find(Some("r1"), Alg::Rs256).unwrap().kid.as_deref(),
        Some("r1")
    );
    assert!(
        jwks.find(Some("r1"), Alg::Es256).is_none(),
        "a key verifies its own algorithm only"
    );
    assert!(jwks.find(Some("gone"), Alg::Rs256).is_none());
    assert_eq!(
        jwks.find(None, Alg::Es256).unwrap().kid.as_deref(),
        Some("e1")
    );
    let two = Jwks::parse(
        json!({"keys": [rsa_key("a"), rsa_key("b")]})
            .to_string()
            .as_bytes(),
    )
    .unwrap();
    assert!(
        two.find(None, Alg::Rs256).is_none(),
        "no guessing among several keys"
    );
    let web = jwks.find(Some("e1"), Alg::Es256).unwrap().webcrypto();
    assert_eq!(web["kty"], "EC");
    assert_eq!(web["crv"], "P-256");
    assert!(web.get("d").is_none());
}

#[test]
fn hostile_jwks_bodies_are_typed_errors() {
    let huge = format!(r#"{{"keys":[],"pad":"{}"}}"#, "x".repeat(MAX_JWKS_BYTES));
    assert_eq!(
        Jwks::parse(huge.as_bytes()),
        Err(JwksError::TooLarge {
            max: MAX_JWKS_BYTES
        })
    );
    let many: Vec<Json> = (0..=MAX_JWKS_KEYS)
        .map(|i| ec_key(&i.to_string()))
        .collect();
    assert_eq!(
        Jwks::parse(json!({"keys": many}).to_string().as_bytes()),
        Err(JwksError::TooManyKeys { max: MAX_JWKS_KEYS })
    );
    for body in [
        "",
        "nope",
        "[]",
        "{}",
        r#"{"keys":{}}"#,
        r#"{"keys":"x"}"#,
        "\u{feff}{}",
    ] {
        assert_eq!(
            Jwks::parse(body.as_bytes()),
            Err(JwksError::Malformed),
            "{body}"
        );
    }
    for keys in [
        json!([]),
        json!([{"kty": "RSA"}]),
        json!([{"kty": "EC", "crv": "P-256", "x": "!!", "y": "AA"}]),
    ] {
        assert_eq!(
            Jwks::parse(json!({"keys": keys}).to_string().as_bytes()),
            Err(JwksError::NoUsableKey)
        );
    }
}
