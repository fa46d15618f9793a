//! The `edge-persona` command line: compile Segment profile exports into snapshots (in bulk, on every
//! core), inspect snapshots, and rank or render a context from the shell.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use clap::{Parser, Subcommand, ValueEnum};
use edge_persona::identity::{mint, TokenFormat};
use edge_persona::snapshot::{codec::MAGIC, compile, kv, Snapshot, SnapshotLimits};
use edge_persona::time::{format_timestamp, parse_timestamp};
use edge_persona::ImportLimits;
use edge_persona::Profile;
use edge_persona::{import_bundle, import_ndjson};
use edge_persona::{rank, RankSettings};
use edge_persona::{render, ContextFormat, RenderSettings};
use edge_persona::{PrivacyPolicy, Target};

/// `println!` that ends the process quietly when the reader closes stdout early
/// (`edge-persona inspect x.snap | head`) instead of panicking on the broken pipe.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        if writeln!(std::io::stdout().lock(), $($arg)*).is_err() {
            std::process::exit(0);
        }
    }};
}

#[derive(Parser)]
#[command(
    name = "edge-persona",
    version,
    about = "Personalize LLM calls and pages from CDP profiles"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Compile profile bundles (JSON, or NDJSON with one bundle per line) into snapshots.
    Compile {
        /// Bundle JSON or NDJSON files.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// Output: a snapshot file for one profile, or a directory for many.
        #[arg(short, long)]
        output: PathBuf,
        /// Also write a Workers KV bulk-upload JSON file (`wrangler kv bulk put`).
        #[arg(long)]
        kv_bulk: Option<PathBuf>,
        #[command(flatten)]
        policy: PolicyArgs,
    },
    /// Show what a snapshot holds and its sizes.
    Inspect {
        snapshot: PathBuf,
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// Rank a profile's traits and events against a query.
    Rank {
        #[command(flatten)]
        request: RequestArgs,
        /// Items returned (the engine's default, `RankSettings::limit`).
        #[arg(long, default_value_t = edge_persona::RankSettings::default().limit)]
        limit: usize,
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// Render the context block an LLM prompt would receive.
    Context {
        #[command(flatten)]
        request: RequestArgs,
        /// Candidates considered before the budget cuts (the engine's default, as the Worker and
        /// the npm package use).
        #[arg(long, default_value_t = edge_persona::RankSettings::default().limit)]
        limit: usize,
        /// Token budget of the block (the engine's default).
        #[arg(long, default_value_t = edge_persona::RenderSettings::default().budget_tokens)]
        budget: usize,
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        format: OutputFormat,
    },
    /// Mint a signed identity token (HS256 JWT or signed cookie value) for the Worker.
    Token {
        /// The Worker's IDENTITY_SECRET (16 bytes at least); or set EDGE_PERSONA_IDENTITY_SECRET.
        #[arg(long)]
        secret: Option<String>,
        /// The user id (the `<user_id>` of KV key `snap:v1:<user_id>`).
        #[arg(long)]
        user: String,
        /// Lifetime in seconds.
        #[arg(long, default_value_t = 3600)]
        ttl: u64,
        #[arg(long, value_enum, default_value_t = TokenKind::Jwt)]
        format: TokenKind,
        /// Mint as if the time were this (RFC 3339); default: now. For tests of expiry.
        #[arg(long)]
        now: Option<String>,
    },
    /// Write the knowledge pack (general word knowledge every snapshot shares) this build embeds:
    /// for the Worker's KV (`knowledge:v1`) and the npm package's `loadKnowledge`.
    Knowledge {
        /// Where to write it.
        #[arg(short, long)]
        out: PathBuf,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum TokenKind {
    /// `Authorization: Bearer <jwt>` or `x-edge-persona-identity: <jwt>`.
    Jwt,
    /// `Cookie: ep_id=<value>`.
    Cookie,
}

#[derive(clap::Args)]
struct PolicyArgs {
    /// `server` withholds personal data values; `browser` removes personal data entirely.
    #[arg(long, value_enum, default_value_t = PolicyTarget::Server)]
    policy: PolicyTarget,
    /// A key whose personal data may pass (repeatable).
    #[arg(long = "allow", value_name = "KEY")]
    allow: Vec<String>,
}

#[derive(clap::Args)]
struct RequestArgs {
    /// A bundle JSON file or a snapshot file.
    #[arg(long)]
    profile: PathBuf,
    #[arg(long)]
    query: String,
    /// The time to rank at (RFC 3339); default: now.
    #[arg(long)]
    now: Option<String>,
    #[command(flatten)]
    policy: PolicyArgs,
}

#[derive(Clone, Copy, ValueEnum)]
enum PolicyTarget {
    Server,
    Browser,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OutputFormat {
    Text,
    Json,
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Compile {
            inputs,
            output,
            kv_bulk,
            policy,
        } => cmd_compile(&inputs, &output, kv_bulk.as_deref(), &policy),
        Command::Inspect { snapshot, format } => cmd_inspect(&snapshot, format),
        Command::Rank {
            request,
            limit,
            format,
        } => cmd_rank(&request, limit, format),
        Command::Context {
            request,
            limit,
            budget,
            format,
        } => cmd_context(&request, limit, budget, format),
        Command::Token {
            secret,
            user,
            ttl,
            format,
            now,
        } => cmd_token(secret, &user, ttl, format, now.as_deref()),
        Command::Knowledge { out } => {
            let pack = edge_persona::knowledge::embedded_bytes();
            std::fs::write(&out, pack)
                .map_err(|e| format!("{}: {e}", out.display()))
                .map(|()| eprintln!("wrote {} ({} bytes)", out.display(), pack.len()))
        }
    };
    if let Err(message) = result {
        eprintln!("error: {message}");
        std::process::exit(1);
    }
}

type CliResult<T = ()> = Result<T, String>;

fn policy_of(args: &PolicyArgs) -> PrivacyPolicy {
    let target = match args.policy {
        PolicyTarget::Server => Target::Server,
        PolicyTarget::Browser => Target::Browser,
    };
    PrivacyPolicy {
        allow: args.allow.clone(),
        ..PrivacyPolicy::new(target)
    }
}

/// A file's bytes; a gzip file (an export as Segment's bulk tools and the fixtures store them)
/// decompressed, up to [`MAX_GUNZIPPED_BYTES`].
fn read(path: &Path) -> CliResult<Vec<u8>> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return Ok(bytes);
    }
    gunzip(&bytes).map_err(|e| format!("{}: gzip: {e}", path.display()))
}

/// The most bytes a gzip input may decompress to: 1 GiB.
const MAX_GUNZIPPED_BYTES: usize = 1 << 30;

/// The first member of a gzip file (RFC 1952): its header skipped, its deflate data inflated.
fn gunzip(bytes: &[u8]) -> Result<Vec<u8>, String> {
    const FHCRC: u8 = 2;
    const FEXTRA: u8 = 4;
    const FNAME: u8 = 8;
    const FCOMMENT: u8 = 16;
    let (Some(&8), Some(&flags)) = (bytes.get(2), bytes.get(3)) else {
        return Err("not a deflate member".into());
    };
    let mut at = 10;
    if flags & FEXTRA != 0 {
        let (Some(&lo), Some(&hi)) = (bytes.get(at), bytes.get(at + 1)) else {
            return Err("truncated header".into());
        };
        at += 2 + usize::from(u16::from_le_bytes([lo, hi]));
    }
    for flag in [FNAME, FCOMMENT] {
        if flags & flag != 0 {
            let rest = bytes.get(at..).ok_or("truncated header")?;
            at += rest
                .iter()
                .position(|b| *b == 0)
                .ok_or("truncated header")?
                + 1;
        }
    }
    if flags & FHCRC != 0 {
        at += 2;
    }
    let data = bytes.get(at..).ok_or("truncated header")?;
    miniz_oxide::inflate::decompress_to_vec_with_limit(data, MAX_GUNZIPPED_BYTES)
        .map_err(|e| format!("{:?}", e.status))
}

fn as_text<'a>(path: &Path, bytes: &'a [u8]) -> CliResult<&'a str> {
    std::str::from_utf8(bytes).map_err(|e| format!("{}: not UTF-8 text: {e}", path.display()))
}

/// A bundle file or a snapshot file, as a snapshot.
fn load_snapshot(path: &Path, policy: &PrivacyPolicy) -> CliResult<Snapshot> {
    let bytes = read(path)?;
    if bytes.starts_with(&MAGIC) {
        return Snapshot::decode(&bytes, &SnapshotLimits::default())
            .map_err(|e| format!("{}: {e}", path.display()));
    }
    let profile = import_bundle(as_text(path, &bytes)?, &ImportLimits::default())
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(compile(&profile, policy))
}

fn now_ms(now: Option<&str>) -> CliResult<i64> {
    match now {
        Some(text) => {
            parse_timestamp(text).ok_or_else(|| format!("--now {text:?}: not an RFC 3339 time"))
        }
        None => SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .map_err(|e| e.to_string()),
    }
}

fn print_json(value: &serde_json::Value) -> CliResult {
    outln!(
        "{}",
        serde_json::to_string_pretty(value).map_err(|e| e.to_string())?
    );
    Ok(())
}

fn cmd_rank(req: &RequestArgs, limit: usize, format: OutputFormat) -> CliResult {
    let snapshot = load_snapshot(&req.profile, &policy_of(&req.policy))?;
    let settings = RankSettings {
        limit,
        ..RankSettings::default()
    }
    .checked()
    .map_err(|e| e.to_string())?;
    let items = rank(
        &snapshot,
        &req.query,
        now_ms(req.now.as_deref())?,
        &settings,
    );
    match format {
        OutputFormat::Json => {
            // A struct, not `json!`, so members keep the documented order: id, kind, score, explain.
            #[derive(serde::Serialize)]
            struct RankOutput<'a> {
                items: &'a [edge_persona::RankedItem],
            }
            let text = serde_json::to_string_pretty(&RankOutput { items: &items })
                .map_err(|e| e.to_string())?;
            outln!("{text}");
            Ok(())
        }
        OutputFormat::Text => {
            for (i, item) in items.iter().enumerate() {
                let e = &item.explain;
                let terms: Vec<&str> = e.terms.iter().map(|t| t.term.as_str()).collect();
                outln!(
                    "{:>2}. {:<40} {:>7.3}  lexical {:.2} × coverage {:.2} × recency {:.2} × frequency {:.2}  [{}]",
                    i + 1, item.id, item.score, e.lexical, e.coverage, e.recency, e.frequency, terms.join(" ")
                );
            }
            Ok(())
        }
    }
}

fn cmd_context(req: &RequestArgs, limit: usize, budget: usize, format: OutputFormat) -> CliResult {
    let snapshot = load_snapshot(&req.profile, &policy_of(&req.policy))?;
    let now = now_ms(req.now.as_deref())?;
    let settings = RankSettings {
        limit,
        ..RankSettings::default()
    }
    .checked()
    .map_err(|e| e.to_string())?;
    let items = rank(&snapshot, &req.query, now, &settings);
    let context_format = if format == OutputFormat::Json {
        ContextFormat::Json
    } else {
        ContextFormat::Text
    };
    let render_settings = RenderSettings {
        budget_tokens: budget,
        format: context_format,
        ..RenderSettings::default()
    }
    .checked()
    .map_err(|e| e.to_string())?;
    let context = render(&snapshot, &items, now, &render_settings);
    outln!("{}", context.text);
    eprintln!(
        "{} items, ~{} tokens, {} omitted for the budget",
        context.items.len(),
        context.estimated_tokens,
        context.omitted
    );
    Ok(())
}

fn cmd_token(
    secret: Option<String>,
    user: &str,
    ttl: u64,
    format: TokenKind,
    now: Option<&str>,
) -> CliResult {
    let format = match format {
        TokenKind::Jwt => TokenFormat::Jwt,
        TokenKind::Cookie => TokenFormat::Cookie,
    };
    let secret = secret
        .or_else(|| std::env::var("EDGE_PERSONA_IDENTITY_SECRET").ok())
        .ok_or("--secret (or EDGE_PERSONA_IDENTITY_SECRET) is required")?;
    let token =
        mint(format, secret.as_bytes(), user, now_ms(now)?, ttl).map_err(|e| e.to_string())?;
    outln!("{token}");
    Ok(())
}

fn cmd_inspect(path: &Path, format: OutputFormat) -> CliResult {
    let bytes = read(path)?;
    let s = Snapshot::decode(&bytes, &SnapshotLimits::default())
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let mut events: Vec<(&str, usize)> = Vec::new();
    for g in s.groups() {
        match events.iter_mut().find(|(n, _)| *n == g.name) {
            Some((_, c)) => *c += g.count(),
            None => events.push((g.name, g.count())),
        }
    }
    events.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let info = serde_json::json!({
        "profile_id": s.profile_id(),
        "target": format!("{:?}", s.target()).to_lowercase(),
        "bytes": bytes.len(),
        "traits": s.trait_count() - s.memory_count(),
        "memories": s.memory_count(),
        "audiences": s.traits().filter(|t| t.audience).map(|t| t.key).collect::<Vec<_>>(),
        "withheld": s.traits().filter(|t| t.withheld.is_some() && t.noted_ms.is_none()).map(|t| t.key).collect::<Vec<_>>(),
        "events": s.event_count(),
        "event_groups": s.group_count(),
        "terms": s.term_count(),
        "newest_event": s.groups().map(|g| g.last_ms()).max().map(format_timestamp),
        "events_by_name": events.iter().map(|(n, c)| serde_json::json!({"name": n, "count": c})).collect::<Vec<_>>(),
        "bytes_by_section": s.section_sizes().iter().map(|(n, b)| serde_json::json!({"section": n, "bytes": b})).collect::<Vec<_>>(),
    });
    if format == OutputFormat::Json {
        return print_json(&info);
    }
    outln!("profile       {}", s.profile_id());
    outln!(
        "target        {}",
        format!("{:?}", s.target()).to_lowercase()
    );
    outln!("size          {} bytes", bytes.len());
    outln!(
        "traits        {} ({} audiences, {} withheld), {} memories",
        s.trait_count() - s.memory_count(),
        s.traits().filter(|t| t.audience).count(),
        s.traits()
            .filter(|t| t.withheld.is_some() && t.noted_ms.is_none())
            .count(),
        s.memory_count()
    );
    outln!(
        "events        {} in {} groups",
        s.event_count(),
        s.group_count()
    );
    outln!("terms         {}", s.term_count());
    let sections: Vec<String> = s
        .section_sizes()
        .iter()
        .map(|(name, bytes)| format!("{name} {bytes}"))
        .collect();
    outln!("bytes by part {}", sections.join(", "));
    for (name, count) in events.iter().take(20) {
        outln!("  {count:>7}  {name}");
    }
    Ok(())
}

/// One profile to compile: its source (for messages) and its input.
enum Job {
    Text { source: String, text: String },
    Parsed { profile: Box<Profile> },
}

fn cmd_compile(
    inputs: &[PathBuf],
    output: &Path,
    kv_bulk: Option<&Path>,
    policy_args: &PolicyArgs,
) -> CliResult {
    let policy = policy_of(policy_args);
    let limits = ImportLimits::default();
    let mut jobs: Vec<Job> = Vec::new();
    for path in inputs {
        let bytes = read(path)?;
        let text = as_text(path, &bytes)?;
        let ndjson = path
            .extension()
            .is_some_and(|e| e == "ndjson" || e == "jsonl")
            || text.trim_start().starts_with('{')
                && text.trim().lines().filter(|l| !l.trim().is_empty()).count() > 1
                && serde_json::from_str::<serde_json::Value>(text).is_err();
        if ndjson {
            for result in import_ndjson(text, &limits) {
                let profile = result.map_err(|e| format!("{}: {e}", path.display()))?;
                jobs.push(Job::Parsed {
                    profile: Box::new(profile),
                });
            }
        } else {
            jobs.push(Job::Text {
                source: path.display().to_string(),
                text: text.to_string(),
            });
        }
    }
    let single = jobs.len() == 1 && !output.is_dir();
    if !single {
        std::fs::create_dir_all(output).map_err(|e| format!("{}: {e}", output.display()))?;
    }
    let total = jobs.len();
    let done = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, String, Vec<u8>)>> = Mutex::new(Vec::with_capacity(total));
    let first_error: Mutex<Option<String>> = Mutex::new(None);
    let next = AtomicUsize::new(0);
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(total.max(1));
    let progress = total > 1 && std::io::stderr().is_terminal();
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(job) = jobs.get(i) else { break };
                let outcome = match job {
                    Job::Text { source, text } => import_bundle(text, &limits)
                        .map_err(|e| format!("{source}: {e}"))
                        .map(|p| compile(&p, &policy)),
                    Job::Parsed { profile, .. } => Ok(compile(profile, &policy)),
                };
                let encoded = outcome.and_then(|s| {
                    s.encode()
                        .map(|b| (s.profile_id().to_string(), b))
                        .map_err(|e| e.to_string())
                });
                match encoded {
                    Ok((id, bytes)) => results
                        .lock()
                        .map(|mut r| r.push((i, id, bytes)))
                        .unwrap_or(()),
                    Err(e) => {
                        if let Ok(mut slot) = first_error.lock() {
                            slot.get_or_insert(e);
                        }
                    }
                }
                let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                if progress {
                    draw_progress(n, total);
                }
            });
        }
    });
    if progress {
        eprintln!();
    }
    if let Some(e) = first_error.into_inner().ok().flatten() {
        return Err(e);
    }
    let mut results = results
        .into_inner()
        .map_err(|_| "a worker failed".to_string())?;
    results.sort_by_key(|(i, _, _)| *i);
    let mut kv_entries = Vec::new();
    let mut written = 0usize;
    for (i, profile_id, bytes) in &results {
        let path = if single {
            output.to_path_buf()
        } else {
            output.join(format!("{}.snap", file_stem_for(profile_id, *i)))
        };
        write_atomically(&path, bytes)?;
        written += bytes.len();
        // The Worker reads server-policy snapshots from `snap:v1:` and browser-policy ones from `snapb:v1:`.
        let key = kv::snapshot_key_for(policy.target, kv::user_id(profile_id));
        kv_entries.push(serde_json::json!({ "key": key, "value": edge_persona::base64::standard_encode(bytes), "base64": true }));
    }
    if let Some(kv_path) = kv_bulk {
        let text = serde_json::to_string(&kv_entries).map_err(|e| e.to_string())?;
        write_atomically(kv_path, text.as_bytes())?;
    }
    eprintln!(
        "compiled {} profile(s), {} bytes of snapshots, into {}",
        results.len(),
        written,
        output.display()
    );
    Ok(())
}

fn file_stem_for(profile_id: &str, index: usize) -> String {
    let user = kv::user_id(profile_id);
    let safe: String = user
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let safe = safe.trim_start_matches('.');
    if safe.is_empty() {
        format!("profile-{index}")
    } else {
        safe.to_string()
    }
}

/// Writes through a temporary file and a rename, so a failed run leaves no half-written snapshot.
fn write_atomically(path: &Path, bytes: &[u8]) -> CliResult {
    let tmp = path.with_extension("tmp-edge-persona");
    let result = std::fs::File::create(&tmp)
        .and_then(|mut f| f.write_all(bytes).and_then(|_| f.sync_all()))
        .and_then(|_| std::fs::rename(&tmp, path));
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(format!("{}: {e}", path.display()));
    }
    Ok(())
}

fn draw_progress(done: usize, total: usize) {
    let width = 30;
    let filled = done * width / total.max(1);
    eprint!(
        "\r[{}{}] {done}/{total}",
        "#".repeat(filled),
        "-".repeat(width - filled)
    );
}
