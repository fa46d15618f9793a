//! The streaming rewriter: origin chunks in, personalized chunks out; the output of a variants
//! group is held until its end tag, then spliced once.

use std::cell::RefCell;
use std::rc::Rc;

use lol_html::errors::RewritingError;
use lol_html::HtmlRewriter;

use super::groups::DocState;
use super::handlers;
use super::markers::{Markers, Scan};
use super::settings::HtmlSettings;
use super::splice::resolve;
use crate::personalizer::Personalizer;

/// Why rewriting stopped (the caller then ends the response; the origin's bytes are not re-sent).
#[derive(Debug)]
pub struct RewriteFailed;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Outside any group: output is released as it comes.
    Stream,
    /// Inside a group: output is held from its start marker.
    Hold,
    /// Inside a group that outgrew the bound: released as it comes, as authored.
    Abandoned,
}

type Sink = Box<dyn FnMut(&[u8])>;

/// A streaming rewriter: feed origin chunks with [`SlotRewriter::push`], get personalized bytes back.
pub struct SlotRewriter {
    rewriter: Option<HtmlRewriter<'static, Sink>>,
    /// lol_html's output since the last push.
    out: Rc<RefCell<Vec<u8>>>,
    state: Rc<RefCell<DocState>>,
    markers: Rc<Markers>,
    /// Output not yet released: a held group, or the start of a marker cut by a chunk boundary.
    pending: Vec<u8>,
    /// How far `pending` has been scanned for markers.
    scanned: usize,
    /// The ids of the groups open in `pending` (outermost first).
    open: Vec<u32>,
    mode: Mode,
    max_group_bytes: usize,
    /// lol_html hit its memory bound: the rest of the document passes through as it is.
    bypass: bool,
}

fn pop_to(open: &mut Vec<u32>, id: u32) {
    if let Some(pos) = open.iter().rposition(|&g| g == id) {
        open.truncate(pos);
    }
}

impl SlotRewriter {
    /// The specs (`trait:<key>`, `memory:<key>`) of the slots the profile filled so far.
    pub fn filled(&self) -> Vec<String> {
        self.state.borrow().filled.clone()
    }

    /// A rewriter for one response; `nonce` (random per response) keeps its markers apart from
    /// anything the page itself contains.
    pub fn new(
        personalizer: Rc<Personalizer>,
        now_ms: i64,
        settings: &HtmlSettings,
        nonce: u64,
    ) -> Self {
        let out: Rc<RefCell<Vec<u8>>> = Rc::new(RefCell::new(Vec::with_capacity(16 << 10)));
        let state = Rc::new(RefCell::new(DocState::default()));
        let markers = Rc::new(Markers::new(nonce));
        let sink_out = out.clone();
        let sink: Sink = Box::new(move |chunk: &[u8]| {
            if let Ok(mut o) = sink_out.try_borrow_mut() {
                o.extend_from_slice(chunk);
            }
        });
        let lol = handlers::settings(
            personalizer,
            state.clone(),
            markers.clone(),
            settings,
            now_ms,
        );
        Self {
            rewriter: Some(HtmlRewriter::new(lol, sink)),
            out,
            state,
            markers,
            pending: Vec::new(),
            scanned: 0,
            open: Vec::new(),
            mode: Mode::Stream,
            max_group_bytes: settings.max_group_bytes,
            bypass: false,
        }
    }

    /// Rewrites one chunk of the origin's body; returns what can be sent now (possibly empty).
    pub fn push(&mut self, chunk: &[u8]) -> Result<Vec<u8>, RewriteFailed> {
        if self.bypass {
            return Ok(chunk.to_vec());
        }
        let r = self.rewriter.as_mut().ok_or(RewriteFailed)?;
        let written = r.write(chunk);
        self.after_write(written, false)
    }

    /// Ends the document; returns the rest.
    pub fn finish(&mut self) -> Result<Vec<u8>, RewriteFailed> {
        if self.bypass {
            return Ok(Vec::new());
        }
        let ended = match self.rewriter.take() {
            Some(r) => r.end(),
            None => Ok(()),
        };
        self.after_write(ended, true)
    }

    fn after_write(
        &mut self,
        written: Result<(), RewritingError>,
        at_end: bool,
    ) -> Result<Vec<u8>, RewriteFailed> {
        match written {
            Ok(()) => Ok(self.release(at_end)),
            // lol_html flushed what it had as it was: so is everything held, and all that follows.
            Err(RewritingError::MemoryLimitExceeded(_)) => {
                self.rewriter = None;
                self.bypass = true;
                Ok(self.release(true))
            }
            Err(_) => Err(RewriteFailed),
        }
    }

    /// Moves lol_html's output to `pending` and releases everything not inside an open group.
    fn release(&mut self, at_end: bool) -> Vec<u8> {
        if let Ok(mut o) = self.out.try_borrow_mut() {
            self.pending.append(&mut o);
        }
        let mut ready = Vec::with_capacity(self.pending.len());
        // `from`: the start of what is not released yet.
        let mut from = 0usize;
        loop {
            match self.markers.next(&self.pending, self.scanned) {
                Scan::Marker {
                    start,
                    end,
                    kind,
                    id,
                } => {
                    self.scanned = end;
                    if self.mode != Mode::Hold {
                        ready.extend_from_slice(self.pending.get(from..start).unwrap_or_default());
                        from = end;
                    }
                    match kind {
                        b'g' => {
                            self.open.push(id);
                            if self.mode == Mode::Stream {
                                self.mode = Mode::Hold;
                                from = start;
                            }
                        }
                        b'G' => {
                            pop_to(&mut self.open, id);
                            if self.open.is_empty() {
                                if self.mode == Mode::Hold {
                                    let group = self.pending.get(from..end).unwrap_or_default();
                                    ready.extend(resolve(&self.markers, &self.state, group));
                                    from = end;
                                }
                                self.mode = Mode::Stream;
                            }
                        }
                        _ => {}
                    }
                }
                Scan::Partial(at) => {
                    if self.mode != Mode::Hold {
                        ready.extend_from_slice(self.pending.get(from..at).unwrap_or_default());
                        from = at;
                    }
                    self.scanned = at;
                    break;
                }
                Scan::Nothing => {
                    self.scanned = self.pending.len();
                    if self.mode != Mode::Hold {
                        ready.extend_from_slice(self.pending.get(from..).unwrap_or_default());
                        from = self.pending.len();
                    }
                    break;
                }
            }
        }
        if self.mode == Mode::Hold && self.pending.len().saturating_sub(from) > self.max_group_bytes
        {
            // Too large, or never closed: released as authored from here on.
            let held = self.pending.get(from..self.scanned).unwrap_or_default();
            ready.extend(self.markers.strip(held));
            from = self.scanned;
            self.mode = Mode::Abandoned;
            self.state.borrow_mut().abandoned = self.open.first().copied();
        }
        if at_end {
            // A truncated or unclosed group: as authored.
            ready.extend(
                self.markers
                    .strip(self.pending.get(from..).unwrap_or_default()),
            );
            from = self.pending.len();
        }
        let from = from.min(self.pending.len());
        self.pending.drain(..from);
        self.scanned = self.scanned.saturating_sub(from);
        ready
    }
}
