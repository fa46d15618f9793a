//! A stable sort without the standard library's sorts: several kilobytes of wasm per element type,
//! which a cold start in the browser compiles first.

/// Sorts stably by `order`. Short slices (the usual: items returned, query terms) use insertion
/// sort; longer ones a heap sort of positions, ties broken by position (so the order is the stable
/// one): O(n log n) either way, and without the standard sorts, several kilobytes of wasm per
/// element type, which a cold start compiles first. Only the comparison and the moving of elements
/// are made per element type; the sorting of positions is one copy for all.
pub(crate) fn sort_by<T>(v: &mut [T], mut order: impl FnMut(&T, &T) -> std::cmp::Ordering) {
    let at = {
        let v: &[T] = v;
        let mut less = |a: usize, b: usize| match (v.get(a), v.get(b)) {
            (Some(x), Some(y)) => order(x, y).then(a.cmp(&b)).is_lt(),
            _ => false,
        };
        sorted_positions(v.len(), &mut less)
    };
    apply(v, at);
}

/// Positions `0..n` in the order `less` gives (a strict total order on positions).
#[inline(never)]
fn sorted_positions(n: usize, less: &mut dyn FnMut(usize, usize) -> bool) -> Vec<usize> {
    let mut at: Vec<usize> = (0..n).collect();
    if n <= 24 {
        for i in 1..n {
            let mut j = i;
            while j > 0 {
                match (at.get(j - 1).copied(), at.get(j).copied()) {
                    (Some(a), Some(b)) if less(b, a) => at.swap(j - 1, j),
                    _ => break,
                }
                j -= 1;
            }
        }
        return at;
    }
    for root in (0..n / 2).rev() {
        sift_down(&mut at, root, n, less);
    }
    for end in (1..n).rev() {
        at.swap(0, end);
        sift_down(&mut at, 0, end, less);
    }
    at
}

/// Moves the elements of `v` so that the `k`-th comes from position `at[k]`, by following the
/// permutation's cycles.
fn apply<T>(v: &mut [T], mut at: Vec<usize>) {
    for start in 0..at.len() {
        let mut cur = start;
        while let Some(&from) = at.get(cur) {
            if let Some(done) = at.get_mut(cur) {
                *done = cur;
            }
            if from == start || from == cur {
                break;
            }
            v.swap(cur, from);
            cur = from;
        }
    }
}

/// Positions of `keys`, greatest key first (ties: lower position first), taken one at a time
/// from a heap: a caller that stops after the first few pays O(n) plus O(log n) per position.
pub(crate) struct Descending {
    keys: Vec<f32>,
    heap: Vec<usize>,
}

impl Descending {
    pub(crate) fn new(keys: Vec<f32>) -> Descending {
        let mut d = Descending {
            heap: (0..keys.len()).collect(),
            keys,
        };
        let n = d.heap.len();
        for root in (0..n / 2).rev() {
            sift_keys(&mut d.heap, root, n, &d.keys);
        }
        d
    }

    /// The key of position `i`.
    pub(crate) fn key(&self, i: usize) -> f32 {
        self.keys.get(i).copied().unwrap_or(f32::NEG_INFINITY)
    }
}

/// [`sift_down`] by [`key_less`]: one copy of it for building and for taking.
#[inline(never)]
fn sift_keys(heap: &mut [usize], root: usize, end: usize, keys: &[f32]) {
    sift_down(heap, root, end, &mut |a, b| key_less(keys, a, b));
}

/// Whether position `a` comes after `b`: a smaller key, or an equal one at a later position.
fn key_less(keys: &[f32], a: usize, b: usize) -> bool {
    let key = |i: usize| keys.get(i).copied().unwrap_or(f32::NEG_INFINITY);
    key(a).total_cmp(&key(b)).then(b.cmp(&a)).is_lt()
}

impl Iterator for Descending {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        let end = self.heap.len().checked_sub(1)?;
        self.heap.swap(0, end);
        let top = self.heap.pop();
        sift_keys(&mut self.heap, 0, end, &self.keys);
        top
    }
}

/// Restores the max-heap property of `heap[..end]` below `root`.
fn sift_down(
    heap: &mut [usize],
    mut root: usize,
    end: usize,
    less: &mut dyn FnMut(usize, usize) -> bool,
) {
    loop {
        let mut child = 2 * root + 1;
        if child >= end {
            return;
        }
        let (Some(&l), r) = (heap.get(child), heap.get(child + 1).copied()) else {
            return;
        };
        if let Some(r) = r.filter(|_| child + 1 < end) {
            if less(l, r) {
                child += 1;
            }
        }
        match (heap.get(root).copied(), heap.get(child).copied()) {
            (Some(a), Some(b)) if less(a, b) => heap.swap(root, child),
            _ => return,
        }
        root = child;
    }
}

/// Sorts `v`, made of runs each already sorted by `key` (run `i` starts at `starts[i]`), stably:
/// adjacent runs are merged pairwise until one is left, O(n log runs) (a query's postings are one
/// sorted run per term).
pub(crate) fn merge_runs<T: Copy>(v: &mut Vec<T>, starts: &[usize], key: impl Fn(&T) -> u32) {
    let mut bounds: Vec<usize> = starts.iter().copied().filter(|s| *s < v.len()).collect();
    bounds.dedup();
    if bounds.first() != Some(&0) {
        bounds.insert(0, 0);
    }
    bounds.push(v.len());
    let mut out: Vec<T> = Vec::with_capacity(v.len());
    while bounds.len() > 2 {
        out.clear();
        let mut next = vec![0usize];
        for pair in bounds.windows(3).step_by(2) {
            let &[from, mid, to] = pair else { continue };
            let (Some(a), Some(b)) = (v.get(from..mid), v.get(mid..to)) else {
                continue;
            };
            let (mut i, mut j) = (0, 0);
            while let (Some(x), Some(y)) = (a.get(i), b.get(j)) {
                // Ties take the left run first: stable.
                if key(y) < key(x) {
                    out.push(*y);
                    j += 1;
                } else {
                    out.push(*x);
                    i += 1;
                }
            }
            out.extend_from_slice(a.get(i..).unwrap_or_default());
            out.extend_from_slice(b.get(j..).unwrap_or_default());
            next.push(out.len());
        }
        // An odd run out is carried over as it is.
        if bounds.len() % 2 == 0 {
            if let (Some(&from), Some(&to)) = (bounds.get(bounds.len() - 2), bounds.last()) {
                out.extend_from_slice(v.get(from..to).unwrap_or_default());
                next.push(out.len());
            }
        }
        std::mem::swap(v, &mut out);
        bounds = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descending_gives_greatest_first_ties_by_position() {
        let mut seed = 11u32;
        for len in [0, 1, 2, 7, 25, 300] {
            let keys: Vec<f32> = (0..len)
                .map(|_| {
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                    f32::from(u8::try_from((seed >> 16) % 9).unwrap_or(0)) / 2.0
                })
                .collect();
            let mut want: Vec<usize> = (0..len).collect();
            want.sort_by(|a, b| keys[*b].total_cmp(&keys[*a]).then(a.cmp(b)));
            let got: Vec<usize> = Descending::new(keys.clone()).collect();
            assert_eq!(got, want, "{len} keys");
            let first: Vec<usize> = Descending::new(keys).take(3).collect();
            assert_eq!(first, want.iter().take(3).copied().collect::<Vec<_>>());
        }
    }

    #[test]
    fn sort_by_matches_the_standard_stable_sort() {
        let mut seed = 7u32;
        for len in (0..60).chain([200, 1_000]) {
            let v: Vec<(u32, usize)> = (0..len)
                .map(|i| {
                    seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    (seed >> 29, i)
                })
                .collect();
            let mut ours = v.clone();
            sort_by(&mut ours, |a, b| a.0.cmp(&b.0));
            let mut std = v;
            std.sort_by_key(|a| a.0);
            assert_eq!(ours, std, "length {len}");
        }
    }

    #[test]
    fn merging_sorted_runs_is_a_stable_sort() {
        let mut seed = 11u32;
        for runs in [1usize, 2, 3, 5, 8] {
            let mut v: Vec<(u32, usize)> = Vec::new();
            let mut starts = Vec::new();
            for r in 0..runs {
                starts.push(v.len());
                let mut run: Vec<u32> = (0..(r * 7 % 13 + 1))
                    .map(|_| {
                        seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                        seed >> 28
                    })
                    .collect();
                run.sort_unstable();
                v.extend(run.into_iter().map(|k| (k, r)));
            }
            let mut expected = v.clone();
            expected.sort_by_key(|x| x.0);
            merge_runs(&mut v, &starts, |x| x.0);
            assert_eq!(v, expected, "{runs} runs");
        }
    }
}
