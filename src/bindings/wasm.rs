//! The npm package API (wasm-bindgen), feature `wasm`.
//!
//! A thin layer over [`crate::personalizer::Personalizer`]: options arrive as plain JS objects and
//! are validated into core settings; results leave as plain JS objects (never `Map`s); every error
//! is a thrown JS `Error` with a stable `code` property and the core error's message. The exact
//! TypeScript declarations are hand-written in `npm/index.d.ts` (wasm-bindgen's are not generated).
//!
//! Profile import and compilation (`fromProfile`, `compileSnapshot`) need the `wasm-compiler`
//! feature: the Node build has it; the browser build leaves it out to stay small and loads a second
//! module that has it only when a page compiles a profile itself.
//!
//! | code | raised for |
//! | --- | --- |
//! | `E_SNAPSHOT_CORRUPT` | truncated bytes, wrong magic, checksum mismatch, undecodable payload |
//! | `E_SNAPSHOT_VERSION` | a snapshot format version this build does not read |
//! | `E_SNAPSHOT_LIMIT` | a snapshot over a [`SnapshotLimits`] limit (or that fails to encode) |
//! | `E_PROFILE_INVALID` | a Segment profile that does not import |
//! | `E_REQUEST_INVALID` | an LLM request body that cannot be personalized |
//! | `E_OPTIONS_INVALID` | an option of the wrong type, unknown or out of range |
//! | `E_OUTPUT` | a result that could not be converted to a JS value (never for valid input) |
//! | `E_KNOWLEDGE_INVALID` | bytes given to `loadKnowledge` that are not a knowledge pack this build reads |

use serde::Serialize;
use wasm_bindgen::prelude::*;

#[cfg(feature = "wasm-compiler")]
use crate::errors::ImportError;
use crate::errors::{InjectError, SettingsError, SnapshotError};
#[cfg(feature = "wasm-compiler")]
use crate::import::ImportLimits;
use crate::inject::Api;
use crate::personalizer::Personalizer as Core;
#[cfg(feature = "wasm-compiler")]
use crate::policy::{PrivacyPolicy, Target};
use crate::rank::{ItemKind, RankSettings, RankedItem};
use crate::render::{Context, ContextFormat, RenderSettings};
use crate::settings::Checked;
use crate::snapshot::SnapshotLimits;

// Talc instead of the default dlmalloc: its allocation path is about a third of dlmalloc's wasm,
// which V8 compiles on a cold start's first request, and its code is smaller overall.
#[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

// ---------------------------------------------------------------------------------------------
// Errors

pub(super) fn js_error(code: &str, message: &str) -> JsValue {
    let err = js_sys::Error::new(message);
    // Setting a property on a fresh Error cannot fail; ignore the Result rather than unwrap.
    let _ = js_sys::Reflect::set(&err, &JsValue::from_str("code"), &JsValue::from_str(code));
    err.into()
}

pub(super) fn snapshot_error(e: &SnapshotError) -> JsValue {
    let code = match e {
        SnapshotError::UnsupportedVersion { .. } => "E_SNAPSHOT_VERSION",
        SnapshotError::Limit(_) | SnapshotError::Encode { .. } => "E_SNAPSHOT_LIMIT",
        SnapshotError::Truncated { .. }
        | SnapshotError::WrongMagic
        | SnapshotError::ChecksumMismatch { .. }
        | SnapshotError::Corrupt { .. } => "E_SNAPSHOT_CORRUPT",
    };
    js_error(code, &e.to_string())
}

#[cfg(feature = "wasm-compiler")]
fn profile_error(e: &ImportError) -> JsValue {
    js_error("E_PROFILE_INVALID", &format!("profile: {e}"))
}

fn request_error(e: &InjectError) -> JsValue {
    js_error("E_REQUEST_INVALID", &e.to_string())
}

fn options_error(what: &str, detail: &dyn std::fmt::Display) -> JsValue {
    js_error("E_OPTIONS_INVALID", &format!("{what}: {detail}"))
}

/// The setting's name only: formatting the value would link float printing into the browser wasm.
fn settings_error(e: &SettingsError) -> JsValue {
    let SettingsError::OutOfRange { name, .. } = e;
    js_error(
        "E_OPTIONS_INVALID",
        &format!("options: setting {name} is out of range"),
    )
}

// ---------------------------------------------------------------------------------------------
// Options: plain objects read member by member (no serde here: its error messages would link
// float formatting into the browser wasm); unknown members are an error so typos do not pass.

struct Opts {
    what: &'static str,
    obj: Option<js_sys::Object>,
}

impl Opts {
    /// `undefined`/`null` → all defaults; otherwise a plain object with only `allowed` members.
    fn new(what: &'static str, value: JsValue, allowed: &[&str]) -> Result<Opts, JsValue> {
        if value.is_undefined() || value.is_null() {
            return Ok(Opts { what, obj: None });
        }
        if !value.is_object() || js_sys::Array::is_array(&value) {
            return Err(options_error(what, &"expected a plain object"));
        }
        let obj = js_sys::Object::from(value);
        for key in js_sys::Object::keys(&obj).iter() {
            let key = key.as_string().unwrap_or_default();
            if !allowed.contains(&key.as_str()) {
                let known = allowed.join(", ");
                return Err(options_error(
                    what,
                    &format!("unknown option \"{key}\" (known: {known})"),
                ));
            }
        }
        Ok(Opts {
            what,
            obj: Some(obj),
        })
    }

    fn get(&self, key: &str) -> Option<JsValue> {
        let obj = self.obj.as_ref()?;
        let v = js_sys::Reflect::get(obj, &JsValue::from_str(key)).ok()?;
        (!v.is_undefined()).then_some(v)
    }

    fn fail(&self, key: &str, expected: &str) -> JsValue {
        options_error(self.what, &format!("{key}: expected {expected}"))
    }

    fn number(&self, key: &str) -> Result<Option<f64>, JsValue> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => match v.as_f64() {
                Some(n) if n.is_finite() => Ok(Some(n)),
                _ => Err(self.fail(key, "a finite number")),
            },
        }
    }

    fn count(&self, key: &str) -> Result<Option<u32>, JsValue> {
        match self.number(key)? {
            None => Ok(None),
            Some(n) if n >= 0.0 && n <= f64::from(u32::MAX) && n.fract() == 0.0 => {
                Ok(Some(n as u32))
            }
            Some(_) => Err(self.fail(key, "a non-negative integer")),
        }
    }

    fn string(&self, key: &str) -> Result<Option<String>, JsValue> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => v
                .as_string()
                .map(Some)
                .ok_or_else(|| self.fail(key, "a string")),
        }
    }

    fn now(&self) -> Result<i64, JsValue> {
        match self.number("now")? {
            None => Ok(js_sys::Date::now() as i64),
            // ±8.64e15 ms is the range of a JS Date.
            Some(ms) if ms.abs() <= 8.64e15 => Ok(ms as i64),
            Some(_) => Err(self.fail("now", "milliseconds within the range of a Date")),
        }
    }
}

/// An array of strings (variants, policy keys).
fn strings(value: &JsValue, what: &str) -> Result<Vec<String>, JsValue> {
    if !js_sys::Array::is_array(value) {
        return Err(options_error(what, &"expected an array of strings"));
    }
    js_sys::Array::from(value)
        .iter()
        .map(|v| {
            v.as_string()
                .ok_or_else(|| options_error(what, &"expected an array of strings"))
        })
        .collect()
}

fn rank_settings(
    limit: Option<u32>,
    min_score: Option<f32>,
) -> Result<Checked<RankSettings>, JsValue> {
    let mut s = RankSettings::default();
    if let Some(limit) = limit {
        s.limit = limit as usize;
    }
    if let Some(min_score) = min_score {
        s.min_score = min_score;
    }
    s.checked().map_err(|e| settings_error(&e))
}

fn render_settings(
    budget_tokens: Option<u32>,
    format: Option<&str>,
    max_value_chars: Option<u32>,
    max_properties: Option<u32>,
) -> Result<Checked<RenderSettings>, JsValue> {
    let mut s = RenderSettings::default();
    if let Some(b) = budget_tokens {
        s.budget_tokens = b as usize;
    }
    match format {
        None | Some("text") => s.format = ContextFormat::Text,
        Some("json") => s.format = ContextFormat::Json,
        Some(other) => {
            return Err(options_error(
                "options.format",
                &format!("expected \"text\" or \"json\", got \"{other}\""),
            ))
        }
    }
    if let Some(n) = max_value_chars {
        s.max_value_chars = n as usize;
    }
    if let Some(n) = max_properties {
        s.max_properties = n as usize;
    }
    s.checked().map_err(|e| settings_error(&e))
}

#[cfg(feature = "wasm-compiler")]
fn policy(value: JsValue) -> Result<PrivacyPolicy, JsValue> {
    let o = Opts::new("policy", value, &["target", "allow"])?;
    let target = match o.string("target")?.as_deref() {
        // The package's default is the browser policy: what a page holds must not carry personal data.
        None | Some("browser") => Target::Browser,
        Some("server") => Target::Server,
        Some(other) => {
            return Err(options_error(
                "policy.target",
                &format!("expected \"browser\" or \"server\", got \"{other}\""),
            ))
        }
    };
    let allow = match o.get("allow") {
        None => Vec::new(),
        Some(v) => strings(&v, "policy.allow")?,
    };
    Ok(PrivacyPolicy {
        allow,
        ..PrivacyPolicy::new(target)
    })
}

/// Deepest nesting accepted in a request body.
const MAX_BODY_DEPTH: usize = 64;

/// A JS value as JSON, member by member (JSON semantics: `undefined` and functions in objects are
/// skipped, non-finite numbers become null). Written out rather than through serde-wasm-bindgen's
/// deserializer, which would link float formatting into the browser wasm.
fn json_of(v: &JsValue, depth: usize) -> Result<serde_json::Value, InjectError> {
    use serde_json::Value as J;
    if depth > MAX_BODY_DEPTH {
        return Err(InjectError::Invalid {
            path: "nesting".into(),
            expected: "at most 64 levels",
        });
    }
    if v.is_null() || v.is_undefined() {
        return Ok(J::Null);
    }
    if let Some(b) = v.as_bool() {
        return Ok(J::Bool(b));
    }
    if let Some(n) = v.as_f64() {
        const SAFE: f64 = 9_007_199_254_740_991.0;
        if n.fract() == 0.0 && n.abs() <= SAFE {
            return Ok(J::from(n as i64));
        }
        return Ok(serde_json::Number::from_f64(n).map_or(J::Null, J::Number));
    }
    if let Some(s) = v.as_string() {
        return Ok(J::String(s));
    }
    if js_sys::Array::is_array(v) {
        return js_sys::Array::from(v)
            .iter()
            .map(|x| json_of(&x, depth + 1))
            .collect::<Result<Vec<_>, _>>()
            .map(J::Array);
    }
    if v.is_object() && !v.is_function() {
        let mut map = serde_json::Map::new();
        for entry in js_sys::Object::entries(&js_sys::Object::from(v.clone())).iter() {
            let pair = js_sys::Array::from(&entry);
            let value = pair.get(1);
            if value.is_undefined() || value.is_function() {
                continue;
            }
            let key = pair.get(0).as_string().unwrap_or_default();
            map.insert(key, json_of(&value, depth + 1)?);
        }
        return Ok(J::Object(map));
    }
    Err(InjectError::Invalid {
        path: "value".into(),
        expected: "JSON values (no BigInt, symbol or function)",
    })
}

// ---------------------------------------------------------------------------------------------
// Results (camelCase plain objects)

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsTerm<'a> {
    term: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    via: Option<&'a str>,
    weight: f32,
    idf: f32,
    score: f32,
}

/// The core's [`crate::rank::Explanation`] in camelCase, every factor included, so that
/// `(base + thread) · repeat` recomputes `score` in JavaScript as it does natively.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsExplain<'a> {
    lexical: f32,
    coverage: f32,
    recency: f32,
    frequency: f32,
    repeat: f32,
    thread: f32,
    #[serde(skip_serializing_if = "Option::is_none")]
    salience: Option<JsSalience>,
    #[serde(skip_serializing_if = "Option::is_none")]
    age_seconds: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    count: Option<usize>,
    terms: Vec<JsTerm<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsSalience {
    value: f32,
    rarity: f32,
    recent: f32,
    open: f32,
    upcoming: f32,
    relevance_scale: f32,
    weight: f32,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsItem<'a> {
    id: &'a str,
    kind: ItemKind,
    score: f32,
    explain: JsExplain<'a>,
}

impl<'a> From<&'a RankedItem> for JsItem<'a> {
    fn from(i: &'a RankedItem) -> Self {
        let e = &i.explain;
        JsItem {
            id: &i.id,
            kind: i.kind,
            score: i.score,
            explain: JsExplain {
                lexical: e.lexical,
                coverage: e.coverage,
                recency: e.recency,
                frequency: e.frequency,
                repeat: e.repeat,
                thread: e.thread,
                salience: e.salience.as_ref().map(|s| JsSalience {
                    value: s.value,
                    rarity: s.rarity,
                    recent: s.recent,
                    open: s.open,
                    upcoming: s.upcoming,
                    relevance_scale: s.relevance_scale,
                    weight: s.weight,
                }),
                age_seconds: e.age_seconds,
                count: e.count,
                terms: e
                    .terms
                    .iter()
                    .map(|t| JsTerm {
                        term: &t.term,
                        via: t.via.as_deref(),
                        weight: t.weight,
                        idf: t.idf,
                        score: t.score,
                    })
                    .collect(),
            },
        }
    }
}

/// `{ text, items, estimatedTokens, omitted }`, built directly: `context` is the per-request call a
/// cold start measures, and serde's serializer is code V8 would compile first.
fn context_to_js(c: &Context) -> Result<JsValue, JsValue> {
    let items = js_sys::Array::new();
    for id in &c.items {
        items.push(&JsValue::from_str(id));
    }
    let out = js_sys::Object::new();
    set(&out, "text", &JsValue::from_str(&c.text))?;
    set(&out, "items", &items)?;
    set(
        &out,
        "estimatedTokens",
        &JsValue::from_f64(c.estimated_tokens as f64),
    )?;
    set(&out, "omitted", &JsValue::from_f64(c.omitted as f64))?;
    Ok(out.into())
}

fn set(object: &js_sys::Object, key: &str, value: &JsValue) -> Result<(), JsValue> {
    js_sys::Reflect::set(object, &JsValue::from_str(key), value).map(|_| ())
}

fn api_name(api: Api) -> &'static str {
    match api {
        Api::OpenAiChat => "openai-chat",
        Api::OpenAiResponses => "openai-responses",
        Api::AnthropicMessages => "anthropic-messages",
    }
}

fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| js_error("E_OUTPUT", &e.to_string()))
}

// ---------------------------------------------------------------------------------------------
// The API

/// A profile snapshot decoded once, ready for many queries.
#[wasm_bindgen]
pub struct Personalizer {
    inner: Core,
}

#[wasm_bindgen]
impl Personalizer {
    /// Decodes snapshot bytes (as made by `compileSnapshot` or the CLI's `compile`).
    #[wasm_bindgen(js_name = fromSnapshot)]
    pub fn from_snapshot(bytes: &[u8]) -> Result<Personalizer, JsValue> {
        Core::from_snapshot(bytes, &SnapshotLimits::default())
            .map(|inner| Personalizer { inner })
            .map_err(|e| snapshot_error(&e))
    }

    /// Imports a Segment profile bundle (JSON text) and compiles it under a privacy policy
    /// (default: the browser policy). Only in builds with the `wasm-compiler` feature.
    #[cfg(feature = "wasm-compiler")]
    #[wasm_bindgen(js_name = fromProfile)]
    pub fn from_profile(json: &str, policy_options: JsValue) -> Result<Personalizer, JsValue> {
        let policy = policy(policy_options)?;
        Core::from_profile(json, &policy, &ImportLimits::default())
            .map(|inner| Personalizer { inner })
            .map_err(|e| profile_error(&e))
    }

    /// The profile's items most relevant to `query`, best first.
    pub fn rank(&self, query: &str, opts: JsValue) -> Result<JsValue, JsValue> {
        let o = Opts::new("rank options", opts, &["limit", "now", "minScore"])?;
        let min_score = o.number("minScore")?.map(|n| n as f32);
        let settings = rank_settings(o.count("limit")?, min_score)?;
        let items = self.inner.rank(query, o.now()?, &settings);
        let out: Vec<JsItem<'_>> = items.iter().map(JsItem::from).collect();
        to_js(&out)
    }

    /// The delimited context block for `query` (a text, or a conversation's user turns, oldest
    /// first: the last weighs most).
    pub fn context(&self, query: JsValue, opts: JsValue) -> Result<JsValue, JsValue> {
        let turns = match query.as_string() {
            Some(text) => vec![text],
            None => strings(&query, "query")?,
        };
        let o = Opts::new(
            "context options",
            opts,
            &[
                "budgetTokens",
                "format",
                "limit",
                "now",
                "maxValueChars",
                "maxProperties",
            ],
        )?;
        let rs = rank_settings(o.count("limit")?, None)?;
        let ren = render_settings(
            o.count("budgetTokens")?,
            o.string("format")?.as_deref(),
            o.count("maxValueChars")?,
            o.count("maxProperties")?,
        )?;
        let turns: Vec<&str> = turns.iter().map(String::as_str).collect();
        let ctx = self.inner.conversation_context(&turns, o.now()?, &rs, &ren);
        context_to_js(&ctx)
    }

    /// Adds the context for the request's user turns (the last weighing most; or `opts.query`
    /// alone) to an OpenAI Chat
    /// Completions, OpenAI Responses or Anthropic Messages request body; returns the new body, the
    /// API it was treated as and the context. The input object is not modified.
    #[wasm_bindgen(js_name = injectChat)]
    pub fn inject_chat(&self, body: JsValue, opts: JsValue) -> Result<JsValue, JsValue> {
        let o = Opts::new(
            "injectChat options",
            opts,
            &["api", "query", "budgetTokens", "format", "limit", "now"],
        )?;
        let api = match o.string("api")?.as_deref() {
            None => None,
            Some(name) => Some(Api::from_name(name).ok_or_else(|| {
                options_error(
                    "options.api",
                    &format!("expected \"openai-chat\", \"openai-responses\" or \"anthropic-messages\", got \"{name}\""),
                )
            })?),
        };
        let body = json_of(&body, 0).map_err(|e| request_error(&e))?;
        let rs = rank_settings(o.count("limit")?, None)?;
        let ren = render_settings(
            o.count("budgetTokens")?,
            o.string("format")?.as_deref(),
            None,
            None,
        )?;
        let query = o.string("query")?;
        let out = self
            .inner
            .personalize_request(body, api, query.as_deref(), o.now()?, &rs, &ren)
            .map_err(|e| request_error(&e))?;
        let injected = js_sys::Object::new();
        set(&injected, "body", &to_js(&out.body)?)?;
        set(&injected, "api", &JsValue::from_str(api_name(out.api)))?;
        set(&injected, "context", &context_to_js(&out.context)?)?;
        Ok(injected.into())
    }

    /// The value of a `data-persona` slot (`trait:<key>`), or `undefined`.
    #[wasm_bindgen(js_name = slotValue)]
    pub fn slot_value(&self, spec: &str) -> Option<String> {
        self.inner.slot_value(spec).map(str::to_string)
    }

    /// Whether a `data-persona-if` / `-unless` condition holds.
    #[wasm_bindgen(js_name = conditionHolds)]
    pub fn condition_holds(&self, expr: &str) -> bool {
        self.inner.condition_holds(expr)
    }

    /// The index of the most relevant variant (each a string of words), or `undefined`: none
    /// relevant, or the group past the slot language's caps ([`crate::slots`]). `earlier`: the
    /// variants of the page's groups ranked before this one (0 by default).
    #[wasm_bindgen(js_name = chooseVariant)]
    pub fn choose_variant(&self, variants: JsValue, opts: JsValue) -> Result<Option<u32>, JsValue> {
        let variants = strings(&variants, "variants")?;
        let o = Opts::new("chooseVariant options", opts, &["now", "earlier"])?;
        let earlier = o.count("earlier")?.unwrap_or(0) as usize;
        let words: Vec<&str> = variants.iter().map(String::as_str).collect();
        let chosen = crate::slots::choose_variant_on_page(
            self.inner.snapshot(),
            &words,
            earlier,
            o.now()?,
            &Checked::default(),
        );
        Ok(chosen.and_then(|i| u32::try_from(i).ok()))
    }
}

/// Installs a knowledge pack (the `knowledge.bin` the package ships; general word knowledge that
/// lets a query's words reach related words of a profile) for every ranking after. `false` when a
/// pack was already installed (the first one stays).
#[wasm_bindgen(js_name = installKnowledge)]
pub fn install_knowledge(bytes: &[u8]) -> Result<bool, JsValue> {
    let pack = crate::knowledge::Knowledge::from_bytes(bytes.to_vec())
        .map_err(|e| js_error("E_KNOWLEDGE_INVALID", &e.to_string()))?;
    Ok(crate::knowledge::install(pack))
}

/// Imports a Segment profile bundle and compiles it to snapshot bytes under a privacy policy
/// (default: the browser policy). Only in builds with the `wasm-compiler` feature.
#[cfg(feature = "wasm-compiler")]
#[wasm_bindgen(js_name = compileSnapshot)]
pub fn compile_snapshot(profile_json: &str, policy_options: JsValue) -> Result<Vec<u8>, JsValue> {
    let policy = policy(policy_options)?;
    let p = Core::from_profile(profile_json, &policy, &ImportLimits::default())
        .map_err(|e| profile_error(&e))?;
    p.snapshot().encode().map_err(|e| snapshot_error(&e))
}
