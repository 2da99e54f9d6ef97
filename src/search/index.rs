//! The search index in memory: an inverted index over the same eight columns as the FTS5 table,
//! scored with the same bm25 (same column weights, same k1 and b), so a query reads only the
//! postings of its own words instead of FTS5 scoring every match row by row through SQL.
//!
//! Order: an id equal to the query, then ids starting with it, then bm25, then downloads, then id.
//! Documents are replaced whole; a replaced document's postings are dropped lazily (skipped while
//! its slot is dead, purged when dead postings pass a quarter of all), so a push costs only the
//! postings of its own text.
use super::query::{Filter, ParsedQuery, SortOrder};
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::sync::Mutex;

/// The indexed columns, in the order of the FTS5 table and of `WEIGHTS`.
pub const COLUMNS: [&str; 8] =
    ["package_id", "id_parts", "title", "summary", "description", "tags", "authors", "owners"];
/// bm25 column weights: the id columns highest (the weights the FTS5 query used).
const WEIGHTS: [f64; 8] = [10.0, 8.0, 5.0, 2.0, 1.0, 3.0, 2.0, 2.0];
const K1: f64 = 1.2;
const B: f64 = 0.75;
/// A posting packs slot (24 bits), column (3 bits) and term frequency (5 bits, capped) in a u32.
const MAX_SLOTS: usize = 1 << 24;
const MAX_TF: u32 = 31;
/// Queries with more words than this go to FTS5 (the per-document match counter is a u8).
const MAX_WORDS: usize = 64;
/// Scratch buffers kept for reuse: two per core, as queries are CPU-bound and at most that many
/// make progress at once; a query beyond them allocates its own, as every query did before. Each
/// holds ~17 bytes per indexed id, and a common word's matches besides.
fn kept_scratch() -> usize {
    static KEPT: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *KEPT.get_or_init(|| std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get) * 2)
}

/// One package as the index sees it: its indexed text, which views may see it, its downloads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexDoc {
    pub key: i64,
    pub id_lower: String,
    /// `packages.search_visibility` bits (see `db::search::visibility`).
    pub visibility: i64,
    pub downloads: i64,
    /// The text of each column of `COLUMNS`, in that order.
    pub columns: [String; 8],
}

#[derive(Debug)]
struct Slot {
    id_lower: Box<str>,
    /// The id's first bytes, beside the counts: ranking a common word tests thousands of ids
    /// against the query, and following each `id_lower` pointer was most of its time.
    head: IdHead,
    visibility: i64,
    downloads: i64,
    /// Tokens in all columns (bm25's document length).
    length: u32,
    text_hash: u64,
    live: bool,
    /// Postings this slot has (distinct term+column pairs), for the dead-posting count.
    postings: u32,
}

/// One query's per-slot counters, reused by the next query: zeroing three arrays the size of the
/// index for every query cost more than scoring a rare word. `dirty` lists the slots a query
/// wrote, so the next one clears only those (also after a query that panicked half-way). The
/// lists a query builds (its matches, their ranks) are kept too: a common word's are hundreds of
/// KB, which `malloc` would map and unmap for every query.
#[derive(Default)]
struct Scratch {
    matched: Vec<u8>,
    freq: Vec<f64>,
    score: Vec<f64>,
    dirty: Vec<u32>,
    touched: Vec<u32>,
    candidates: Vec<u32>,
    ranked: Vec<Ranked>,
}

impl Scratch {
    /// Zero where the last query wrote, and cover `n` slots.
    fn ready(&mut self, n: usize) {
        for &slot in &self.dirty {
            let s = slot as usize;
            self.matched[s] = 0;
            self.freq[s] = 0.0;
            self.score[s] = 0.0;
        }
        self.dirty.clear();
        self.touched.clear();
        self.candidates.clear();
        self.ranked.clear();
        if self.matched.len() < n {
            self.matched.resize(n, 0);
            self.freq.resize(n, 0.0);
            self.score.resize(n, 0.0);
        }
    }
}

/// What a query asks the index: the words (each a prefix, over a set of columns), the filters it
/// can decide itself, the views, the order and the page.
#[derive(Default)]
pub struct SearchIndex {
    terms: BTreeMap<Box<str>, u32>,
    postings: Vec<Vec<u32>>,
    slots: Vec<Slot>,
    by_key: HashMap<i64, u32>,
    free: Vec<u32>,
    live_docs: u64,
    live_tokens: u64,
    dead_postings: u64,
    total_postings: u64,
    scratch: Mutex<Vec<Scratch>>,
}

/// Splits text into tokens as the FTS5 `unicode61` tokenizer with `tokenchars '_'` does for the
/// text a feed holds: runs of letters, digits and `_`, lowercased.
pub fn tokens(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric() && c != '_').filter(|w| !w.is_empty()).map(str::to_lowercase)
}

/// Splits an id into words for matching: `Acme.HttpClient-Extras` → `Acme HttpClient Http Client Extras`.
pub fn id_words(id: &str) -> String {
    let mut words: Vec<String> = Vec::new();
    for part in id.split(['.', '-', '_']).filter(|p| !p.is_empty()) {
        words.push(part.to_owned());
        let mut current = String::new();
        let mut humps = Vec::new();
        for ch in part.chars() {
            if ch.is_uppercase() && !current.is_empty() && !current.chars().last().is_some_and(char::is_uppercase) {
                humps.push(std::mem::take(&mut current));
            }
            current.push(ch);
        }
        humps.push(current);
        if humps.len() > 1 {
            words.extend(humps);
        }
    }
    words.join(" ")
}

fn text_hash(columns: &[String; 8]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    columns.hash(&mut h);
    h.finish()
}

impl SearchIndex {
    pub fn build(docs: impl IntoIterator<Item = IndexDoc>) -> Self {
        let mut index = Self::default();
        for doc in docs {
            index.upsert(doc);
        }
        index
    }

    /// Number of packages indexed.
    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    /// Adds or replaces a package. When only its visibility or downloads moved, the text stays.
    pub fn upsert(&mut self, doc: IndexDoc) {
        let hash = text_hash(&doc.columns);
        if let Some(&slot) = self.by_key.get(&doc.key) {
            let s = &mut self.slots[slot as usize];
            if s.text_hash == hash {
                s.visibility = doc.visibility;
                s.downloads = doc.downloads;
                s.head = IdHead::of(&doc.id_lower);
                s.id_lower = doc.id_lower.into();
                return;
            }
            self.remove(doc.key);
        }
        let Some(slot) = self.new_slot() else {
            tracing::error!(key = doc.key, "search index full: package not indexed");
            return;
        };
        let mut counts: BTreeMap<(String, u32), u32> = BTreeMap::new();
        let mut length = 0u32;
        for (column, text) in (0u32..).zip(&doc.columns) {
            for token in tokens(text) {
                length = length.saturating_add(1);
                *counts.entry((token, column)).or_default() += 1;
            }
        }
        let postings = u32::try_from(counts.len()).unwrap_or(u32::MAX);
        for ((token, column), tf) in counts {
            let term = self.term_id(token);
            self.postings[term as usize].push((slot << 8) | (column << 5) | tf.min(MAX_TF));
        }
        self.total_postings += u64::from(postings);
        self.live_docs += 1;
        self.live_tokens += u64::from(length);
        let entry = Slot {
            head: IdHead::of(&doc.id_lower),
            id_lower: doc.id_lower.into(),
            visibility: doc.visibility,
            downloads: doc.downloads,
            length,
            text_hash: hash,
            live: true,
            postings,
        };
        if let Some(s) = self.slots.get_mut(slot as usize) {
            *s = entry;
        } else {
            self.slots.push(entry);
        }
        self.by_key.insert(doc.key, slot);
    }

    /// Drops a package (no listed version left, or the package is gone).
    pub fn remove(&mut self, key: i64) {
        let Some(slot) = self.by_key.remove(&key) else { return };
        let s = &mut self.slots[slot as usize];
        s.live = false;
        self.live_docs -= 1;
        self.live_tokens -= u64::from(s.length);
        self.dead_postings += u64::from(s.postings);
        if self.dead_postings * 4 > self.total_postings {
            self.purge();
        }
    }

    fn new_slot(&mut self) -> Option<u32> {
        if let Some(slot) = self.free.pop() {
            return Some(slot);
        }
        (self.slots.len() < MAX_SLOTS).then(|| u32::try_from(self.slots.len()).ok()).flatten()
    }

    fn term_id(&mut self, token: String) -> u32 {
        if let Some(&id) = self.terms.get(token.as_str()) {
            return id;
        }
        let id = u32::try_from(self.postings.len()).unwrap_or(u32::MAX);
        self.postings.push(Vec::new());
        self.terms.insert(token.into_boxed_str(), id);
        id
    }

    /// Removes the postings of dead slots and frees those slots for reuse.
    fn purge(&mut self) {
        let slots = &self.slots;
        for list in &mut self.postings {
            list.retain(|p| slots[(p >> 8) as usize].live);
        }
        let dead: Vec<u32> = (0u32..).zip(&self.slots).filter(|(_, s)| !s.live).map(|(i, _)| i).collect();
        self.free = dead;
        self.total_postings -= self.dead_postings;
        self.dead_postings = 0;
        // Terms no live package uses any more would otherwise accumulate with every changed text.
        if self.postings.iter().any(Vec::is_empty) {
            let old_postings = std::mem::take(&mut self.postings);
            let old_terms = std::mem::take(&mut self.terms);
            for (term, id) in old_terms {
                let list = &old_postings[id as usize];
                if !list.is_empty() {
                    let new_id = u32::try_from(self.postings.len()).unwrap_or(u32::MAX);
                    self.postings.push(list.clone());
                    self.terms.insert(term, new_id);
                }
            }
        }
    }

    /// Whether `search` can answer this query alone: it has words to match (not too many), and
    /// none of the conditions that need the version rows (a version, a package type, the recent
    /// order).
    pub fn answers(q: &ParsedQuery) -> bool {
        q.package_type.is_none()
            && q.sort != SortOrder::Recent
            && q.filters.iter().all(|f| matches!(f, Filter::ExactId(_)))
            && (1..=MAX_WORDS).contains(&query_words(q).len())
    }

    /// Ids (lowercase) matching the query, best first, and the total number of matches.
    /// Call only for queries `answers` accepts.
    pub fn search(&self, q: &ParsedQuery, required_visibility: i64) -> (usize, Vec<String>) {
        let mut scratch =
            self.scratch.lock().unwrap_or_else(std::sync::PoisonError::into_inner).pop().unwrap_or_default();
        let answer = self.search_with(q, required_visibility, &mut scratch);
        let mut kept = self.scratch.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if kept.len() < kept_scratch() {
            kept.push(scratch);
        }
        answer
    }

    fn search_with(&self, q: &ParsedQuery, required_visibility: i64, scratch: &mut Scratch) -> (usize, Vec<String>) {
        let words = query_words(q);
        scratch.ready(self.slots.len());
        let Scratch { matched, freq, score, dirty, touched, candidates, ranked } = scratch;
        let avg_length = if self.live_docs == 0 { 1.0 } else { as_f64(self.live_tokens) / as_f64(self.live_docs) };
        for (i, (word, columns)) in words.iter().enumerate() {
            let round = u8::try_from(i).unwrap_or(u8::MAX);
            touched.clear();
            let range = self.terms.range::<str, _>((Bound::Included(word.as_str()), Bound::Unbounded));
            for (_, &term) in range.take_while(|(t, _)| t.starts_with(word.as_str())) {
                for &p in &self.postings[term as usize] {
                    let slot = (p >> 8) as usize;
                    let column = ((p >> 5) & 7) as usize;
                    if columns & (1 << column) == 0 || !self.slots[slot].live {
                        continue;
                    }
                    if freq[slot] == 0.0 {
                        touched.push(p >> 8);
                        dirty.push(p >> 8);
                    }
                    freq[slot] += WEIGHTS[column] * f64::from(p & MAX_TF);
                }
            }
            // FTS5's bm25: idf from the documents matching this word anywhere, floored just above 0.
            let hits = as_f64(touched.len() as u64);
            let idf = ((as_f64(self.live_docs) - hits + 0.5) / (hits + 0.5)).ln().max(1e-6);
            let last = i + 1 == words.len();
            for &slot in touched.iter() {
                let s = slot as usize;
                if matched[s] == round {
                    matched[s] = round + 1;
                    let f = freq[s];
                    let norm = 1.0 - B + B * f64::from(self.slots[s].length) / avg_length;
                    score[s] += idf * (f * (K1 + 1.0)) / (f + K1 * norm);
                    if last {
                        candidates.push(slot);
                    }
                }
                freq[s] = 0.0;
            }
        }
        let exact_id = q.filters.iter().find_map(|f| match f {
            Filter::ExactId(id) => Some(id.to_ascii_lowercase()),
            Filter::Version(_) => None,
        });
        candidates.retain(|&slot| {
            let s = &self.slots[slot as usize];
            s.visibility & required_visibility != 0 && exact_id.as_deref().is_none_or(|id| *s.id_lower == *id)
        });
        let total = candidates.len();
        let end = q.skip.saturating_add(q.take).min(total);
        if q.skip >= end {
            return (total, Vec::new());
        }
        // Each candidate's place is worked out once: comparing ids as strings inside the
        // selection (twice per comparison, ~3 comparisons per candidate) was half of a common
        // word's time (bench/RESULTS.md, Search, stop 19).
        let raw = q.raw_lower.as_str();
        ranked.extend(candidates.iter().map(|&slot| {
            let s = &self.slots[slot as usize];
            let tier = if q.sort == SortOrder::Downloads || raw.is_empty() { 0 } else { s.tier(raw) };
            let relevance = if q.sort == SortOrder::Downloads { 0.0 } else { score[slot as usize] };
            Ranked { tier, score: relevance, downloads: s.downloads, head: s.head, slot }
        }));
        let order = |a: &Ranked, b: &Ranked| self.compare(a, b);
        if end < total {
            ranked.select_nth_unstable_by(end - 1, order);
            ranked.truncate(end);
        }
        ranked.sort_unstable_by(order);
        let page = ranked[q.skip..end].iter().map(|r| self.slots[r.slot as usize].id_lower.to_string()).collect();
        (total, page)
    }

    /// Best first: an id equal to the query, then ids starting with it, then bm25, then
    /// downloads, then the id (so equal answers come in one order every time).
    fn compare(&self, a: &Ranked, b: &Ranked) -> Ordering {
        b.tier
            .cmp(&a.tier)
            .then_with(|| b.score.total_cmp(&a.score))
            .then_with(|| b.downloads.cmp(&a.downloads))
            .then_with(|| a.head.cmp(&b.head))
            .then_with(|| self.slots[a.slot as usize].id_lower.cmp(&self.slots[b.slot as usize].id_lower))
    }
}

impl Slot {
    /// 2: the id is `raw`; 1: it starts with `raw`; 0: neither. Decided from the head alone
    /// when `raw` is shorter than it.
    fn tier(&self, raw: &str) -> u8 {
        let raw = raw.as_bytes();
        if raw.len() < ID_HEAD {
            if self.head.0[..raw.len()] != *raw {
                return 0;
            }
            // Ids hold no NUL: a 0 right after the match is the padding, so the id ends there.
            return if self.head.0[raw.len()] == 0 { 2 } else { 1 };
        }
        let id = self.id_lower.as_bytes();
        if id == raw {
            2
        } else {
            u8::from(id.starts_with(raw))
        }
    }
}

const ID_HEAD: usize = 16;

/// An id's first `ID_HEAD` bytes, padded with 0: ordered as the ids are (no id holds a NUL),
/// so ids differing there compare without reading the ids themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct IdHead([u8; ID_HEAD]);

impl IdHead {
    fn of(id: &str) -> Self {
        let mut head = [0u8; ID_HEAD];
        let n = id.len().min(ID_HEAD);
        head[..n].copy_from_slice(&id.as_bytes()[..n]);
        IdHead(head)
    }
}

/// A matching package with what orders it, computed once per query.
struct Ranked {
    /// 2: the id is the query; 1: the id starts with it; 0: neither (or sorted by downloads).
    tier: u8,
    /// bm25 (0 when sorted by downloads).
    score: f64,
    downloads: i64,
    head: IdHead,
    slot: u32,
}

/// A count as a float for bm25; counts here (documents, tokens) stay far below 2^52.
#[allow(clippy::cast_precision_loss)]
fn as_f64(n: u64) -> f64 {
    n as f64
}

/// The query's words (lowercase, each matched as a prefix) and, as a bit set, the columns each
/// may match in: the same words `ParsedQuery::fts_expression` hands FTS5.
fn query_words(q: &ParsedQuery) -> Vec<(String, u8)> {
    let mut words = Vec::new();
    for (column, text) in &q.terms {
        let columns: u8 = match column {
            None => 0xff,
            Some("package_id") => 0b11,
            Some(c) => COLUMNS.iter().position(|name| name == c).map_or(0, |i| 1 << i),
        };
        words.extend(tokens(text).map(|w| (w, columns)));
    }
    words
}

#[cfg(test)]
mod tests {
    use super::{id_words, IdHead, Slot};

    fn slot(id: &str) -> Slot {
        Slot {
            id_lower: id.into(),
            head: IdHead::of(id),
            visibility: 0,
            downloads: 0,
            length: 0,
            text_hash: 0,
            live: true,
            postings: 0,
        }
    }

    /// The head decides what it can, and the same as the whole id would, on both sides of its length.
    #[test]
    fn ranks_ids_against_the_query_as_the_whole_id_would() {
        for id in ["json", "jsonpath", "contoso.json.core", "abcdefghijklmnop", "abcdefghijklmnopq", "a"] {
            for raw in [
                "json",
                "jsonpath",
                "contoso.json",
                "contoso.json.core",
                "abcdefghijklmnop",
                "abcdefghijklmno",
                "",
                "b",
            ] {
                let expected = if id == raw { 2 } else { u8::from(id.starts_with(raw)) };
                assert_eq!(slot(id).tier(raw), expected, "{id} against {raw}");
            }
        }
        let mut ids = ["contoso.json.core2", "contoso.json.core", "contoso.json.core10", "a", "contoso.json"];
        let mut by_head = ids;
        ids.sort_unstable();
        by_head.sort_by(|a, b| IdHead::of(a).cmp(&IdHead::of(b)).then_with(|| a.cmp(b)));
        assert_eq!(by_head, ids);
    }

    #[test]
    fn splits_ids_into_words() {
        assert_eq!(id_words("Acme.HttpClient-Extras"), "Acme HttpClient Http Client Extras");
        assert_eq!(id_words("NUnit"), "NUnit");
        assert_eq!(id_words("xunit.core"), "xunit core");
    }
}
