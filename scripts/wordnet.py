#!/usr/bin/env python3
"""Extracts the thesaurus edge-persona compiles into snapshots from WordNet 3.0.

Reads Debian's wordnet-base (/usr/share/wordnet: index.*, data.*, *.exc) and writes
data/wordnet/thesaurus.txt, one line per word:

    word<TAB>related<TAB>broader<TAB>narrower

each a space-separated list of lemmas (multiword lemmas joined with `_`, lowercase):

* related: the other lemmas of the word's most frequent senses (synonyms) and the words
  derivationally related to it in those senses (substitute <-> substitution, drive <-> driver);
* broader: lemmas of the hypernyms of its first noun and verb senses (couch -> seat);
* narrower: lemmas of the hyponyms of its first noun and verb senses (collision ->
  fender-bender), at most NARROWER_MAX of them, for words seen tagged in WordNet's corpus.

Keys are single words (a snapshot's terms are); multiword lemmas appear as neighbors. Synonymy
is made symmetric: a word listed as a synonym in another word's (or phrase's) main senses lists
that word too.

Irregular inflections of every listed lemma are appended after it (keep -> kept), because the
crate's stemmer only folds regular endings. build.rs stems the words with the crate's stemmer and
packs them; the text file is committed so a build needs no WordNet. Run:

    apt-get install wordnet-base && python3 scripts/wordnet.py

WordNet 3.0 is (c) Princeton University, under the WordNet 3.0 license (data/wordnet/LICENSE).
"""
import collections
import os
import sys

WN = os.environ.get("WORDNET_DIR", "/usr/share/wordnet")
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "wordnet", "thesaurus.txt")

# How many of a word's senses (most frequent first) lend it synonyms and derivations: a sense
# counts when it is among the first SENSES_MAX and, past the first, was tagged in WordNet's
# sense-tagged corpus at least SENSE_MIN_COUNT times and at least SENSE_MIN_SHARE as often as the
# first (so rare senses of common words, `bill` as a beak, stay out).
SENSES_MAX = 3
SENSE_MIN_COUNT = 2
SENSE_MIN_SHARE = 0.05
NARROWER_MAX = 8
RELATED_MAX = 12
BROADER_MAX = 3
# Words WordNet never saw tagged in its corpus (rare words, or rare as words: `resale`,
# `waitlist`) keep only their first sense's synonyms and derivations, at most this many.
UNTAGGED_MAX = 6
# Words of more than 30 senses (`go`, `get`, `make`, `set`, `hold`) relate to almost anything: they
# are left out as related words, so that "didn't go through" does not reach `last`.
POLYSEMY_MAX = 30
POS = ["noun", "verb", "adj", "adv"]


def read_data(pos):
    """offset -> (lemmas, pointers[(symbol, offset, pos, source, target)])."""
    synsets = {}
    with open(os.path.join(WN, "data." + pos), encoding="latin-1") as f:
        for line in f:
            if line.startswith("  "):
                continue
            head = line.split(" | ")[0].split()
            offset = head[0]
            w_cnt = int(head[3], 16)
            lemmas = [head[4 + 2 * i].lower() for i in range(w_cnt)]
            # Adjective lemmas may carry a marker such as `(a)`.
            lemmas = [l.split("(")[0] for l in lemmas]
            at = 4 + 2 * w_cnt
            p_cnt = int(head[at])
            pointers = []
            for i in range(p_cnt):
                sym, off, p, st = head[at + 1 + 4 * i : at + 5 + 4 * i]
                pointers.append((sym, off, p, int(st[:2], 16), int(st[2:], 16)))
            synsets[offset] = (lemmas, pointers)
    return synsets


def read_index(pos):
    """lemma -> (offsets in frequency order, tagged sense count)."""
    out = {}
    with open(os.path.join(WN, "index." + pos), encoding="latin-1") as f:
        for line in f:
            if line.startswith("  "):
                continue
            parts = line.split()
            lemma = parts[0]
            synset_cnt = int(parts[2])
            p_cnt = int(parts[3])
            tagged = int(parts[5 + p_cnt])
            offsets = parts[6 + p_cnt : 6 + p_cnt + synset_cnt]
            out[lemma] = (offsets, tagged)
    return out


def read_sense_counts():
    """(lemma, pos, sense number from 1) -> times the sense was tagged in WordNet's corpus."""
    pos_of = {"1": "noun", "2": "verb", "3": "adj", "4": "adv", "5": "adj"}
    out = {}
    with open(os.path.join(WN, "cntlist.rev"), encoding="latin-1") as f:
        for line in f:
            parts = line.split()
            if len(parts) != 3:
                continue
            key, number, count = parts
            lemma, _, rest = key.partition("%")
            pos = pos_of.get(rest[:1])
            if pos:
                out[(lemma.lower(), pos, int(number))] = int(count)
    return out


def read_inflections():
    """base -> irregular forms (kept, held, mice)."""
    out = collections.defaultdict(list)
    for pos in ["noun", "verb", "adj"]:
        with open(os.path.join(WN, pos + ".exc"), encoding="latin-1") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 2:
                    for base in parts[1:]:
                        if parts[0] not in out[base]:
                            out[base].append(parts[0])
    return out


POS_LETTER = {"n": "noun", "v": "verb", "a": "adj", "s": "adj", "r": "adv"}


def usable(word):
    return word.replace("_", "").replace("-", "").replace("'", "").isalpha() and len(word) <= 40


def main():
    data = {pos: read_data(pos) for pos in POS}
    index = {pos: read_index(pos) for pos in POS}
    inflections = read_inflections()
    counts = read_sense_counts()
    senses = collections.Counter()
    for p in POS:
        for lemma, (offsets, _) in index[p].items():
            senses[lemma] += len(offsets)

    def sense_counts(word, pos, offsets):
        """The senses of `word` that lend it synonyms (indexes into `offsets`)."""
        first = counts.get((word, pos, 1), 0)
        keep = [0]
        for i in range(1, min(SENSES_MAX, len(offsets))):
            c = counts.get((word, pos, i + 1), 0)
            if c >= SENSE_MIN_COUNT and c >= SENSE_MIN_SHARE * first:
                keep.append(i)
        return keep
    lines = []
    # Multiword lemmas are neighbors (a query's "cash machine"), not keys: keys are the single
    # words a snapshot's terms are.
    words = sorted(w for w in set().union(*[index[p].keys() for p in POS]) if "_" not in w)
    table = {}
    for word in words:
        if not usable(word):
            continue
        related, broader, narrower = [], [], []
        tagged_any = any(index[p].get(word, ([], 0))[1] > 0 for p in POS)
        related_max = RELATED_MAX if tagged_any else UNTAGGED_MAX

        def add(bucket, lemma, limit):
            lemma = lemma.lower()
            if (
                lemma != word
                and usable(lemma)
                and lemma not in bucket
                and len(bucket) < limit
                and senses[lemma] <= POLYSEMY_MAX
            ):
                bucket.append(lemma)

        for pos in POS:
            entry = index[pos].get(word)
            if not entry:
                continue
            offsets, tagged = entry
            for sense in sense_counts(word, pos, offsets):
                offset = offsets[sense]
                lemmas, pointers = data[pos][offset]
                for lemma in lemmas:
                    add(related, lemma, related_max)
                number = lemmas.index(word) + 1 if word in lemmas else 0
                for sym, off, p, source, target in pointers:
                    target_pos = POS_LETTER[p]
                    if sym == "+" and source == number and target > 0:
                        target_lemmas = data[target_pos][off][0]
                        if target <= len(target_lemmas):
                            add(related, target_lemmas[target - 1], related_max)
                    if sense == 0 and source == 0 and pos in ("noun", "verb"):
                        if sym in ("@", "@i"):
                            for lemma in data[target_pos][off][0][:3]:
                                add(broader, lemma, BROADER_MAX)
                        elif tagged_any and sym in ("~", "~i"):
                            for lemma in data[target_pos][off][0][:2]:
                                add(narrower, lemma, NARROWER_MAX)
        table[word] = (related, broader, narrower)
    # Synonymy both ways: a word that lists a single word as a synonym in one of its main senses
    # is listed by it too (`cash_machine` names `atm`, whose own first sense is the atmosphere).
    reverse = collections.defaultdict(list)
    for word, (related, _, _) in table.items():
        for lemma in related:
            if lemma in table and word not in table[lemma][0]:
                reverse[lemma].append(word)
    for phrase in sorted(set().union(*[index[p].keys() for p in POS])):
        if "_" not in phrase or not usable(phrase):
            continue
        for pos in POS:
            entry = index[pos].get(phrase)
            if not entry:
                continue
            offsets, tagged = entry
            for sense in sense_counts(phrase, pos, offsets):
                for lemma in data[pos][offsets[sense]][0]:
                    if lemma in table and phrase not in table[lemma][0]:
                        reverse[lemma].append(phrase)
    for word in sorted(table):
        related, broader, narrower = table[word]
        for lemma in reverse.get(word, []):
            if lemma not in related and len(related) < RELATED_MAX + 4 and senses[lemma] <= POLYSEMY_MAX:
                related.append(lemma)
        if not (related or broader or narrower):
            continue

        def with_forms(bucket):
            out = []
            for lemma in bucket:
                out.append(lemma)
                out.extend(f for f in inflections.get(lemma, []) if usable(f) and f not in out)
            return " ".join(out)

        lines.append("\t".join([word, with_forms(related), with_forms(broader), with_forms(narrower)]))
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", encoding="utf-8") as f:
        f.write("# WordNet 3.0 thesaurus extract: word, related, broader, narrower (scripts/wordnet.py)\n")
        f.write("\n".join(lines) + "\n")
    print(f"{len(lines)} words -> {os.path.relpath(OUT)} ({os.path.getsize(OUT)} bytes)", file=sys.stderr)


if __name__ == "__main__":
    main()
