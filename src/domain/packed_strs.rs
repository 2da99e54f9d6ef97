//! A fixed number of short strings kept end to end in one allocation, each read back by its
//! position. The search entries held for every id in memory (`domain::search_entry`) used a dozen
//! separately allocated strings per version they describe; packed, they use one, and two equal
//! sets share it (bench/RESULTS.md, Process).
use std::sync::Arc;

/// Joins the items of a list field: NUL cannot occur in XML text (a nuspec's) or in a username.
const LIST_SEPARATOR: char = '\0';

/// `N` fields, each a string, absent, or a list of strings. `N` is at most 32 (one bit each).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackedStrs<const N: usize> {
    text: Arc<str>,
    /// Where each field ends in `text` (it starts where the one before ends).
    ends: [u32; N],
    /// Bit `i` set: field `i` is present (`Some`, or a list with at least one item).
    present: u32,
}

impl<const N: usize> PackedStrs<N> {
    /// Packs `N` fields; give them in order.
    pub fn build(fields: [Field<'_>; N]) -> Self {
        const { assert!(N <= 32) };
        let mut text = String::new();
        let mut ends = [0u32; N];
        let mut present = 0u32;
        for (i, field) in fields.into_iter().enumerate() {
            let is_present = match field {
                Field::Text(Some(s)) => {
                    text.push_str(s);
                    true
                }
                Field::Text(None) => false,
                Field::List(items) => {
                    for (n, item) in items.iter().enumerate() {
                        if n > 0 {
                            text.push(LIST_SEPARATOR);
                        }
                        text.push_str(item);
                    }
                    !items.is_empty()
                }
            };
            if is_present {
                present |= 1 << i;
            }
            // Text past 4 GiB cannot come from a package (uploads are bounded far below it).
            ends[i] = u32::try_from(text.len()).expect("packed text under 4 GiB");
        }
        Self { text: text.into(), ends, present }
    }

    /// Field `i` as text; `None` when it was given as absent (or as an empty list).
    pub fn get(&self, i: usize) -> Option<&str> {
        if self.present & (1 << i) == 0 {
            return None;
        }
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        Some(&self.text[start..self.ends[i] as usize])
    }

    /// Field `i` as the list it was given as (empty when absent).
    pub fn list(&self, i: usize) -> impl Iterator<Item = &str> {
        self.get(i).into_iter().flat_map(|joined| joined.split(LIST_SEPARATOR))
    }

    /// Takes `other`'s allocation when the text is equal, so equal sets are held once.
    pub fn share_with(&mut self, other: &Self) {
        if self.text == other.text && !Arc::ptr_eq(&self.text, &other.text) {
            self.text = Arc::clone(&other.text);
        }
    }

    /// Whether this and `other` hold one allocation between them.
    pub fn shares_with(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.text, &other.text)
    }

    /// Bytes of the shared text allocation (the counts and the text), not the inline part.
    pub fn heap_bytes(&self) -> usize {
        2 * size_of::<usize>() + self.text.len()
    }
}

/// One field given to `PackedStrs::build`.
pub enum Field<'a> {
    Text(Option<&'a str>),
    List(&'a [&'a str]),
}

#[cfg(test)]
mod tests {
    use super::{Field, PackedStrs};

    #[test]
    fn reads_back_each_field_as_given() {
        let packed = PackedStrs::<5>::build([
            Field::Text(Some("a description")),
            Field::Text(None),
            Field::Text(Some("")),
            Field::List(&["json", "http", ""]),
            Field::List(&[]),
        ]);
        assert_eq!(packed.get(0), Some("a description"));
        assert_eq!(packed.get(1), None);
        assert_eq!(packed.get(2), Some(""));
        assert_eq!(packed.list(3).collect::<Vec<_>>(), ["json", "http", ""]);
        assert_eq!(packed.list(4).count(), 0);
        assert_eq!(packed.get(4), None);
        // A list of one empty item is not the empty list.
        let one_empty = PackedStrs::<1>::build([Field::List(&[""])]);
        assert_eq!(one_empty.list(0).collect::<Vec<_>>(), [""]);
    }

    #[test]
    fn equal_sets_share_one_allocation() {
        let a = PackedStrs::<2>::build([Field::Text(Some("x")), Field::List(&["y"])]);
        let mut b = PackedStrs::<2>::build([Field::Text(Some("x")), Field::List(&["y"])]);
        let mut c = PackedStrs::<2>::build([Field::Text(Some("xy")), Field::List(&[])]);
        let mut d = PackedStrs::<2>::build([Field::Text(Some("z")), Field::List(&[])]);
        b.share_with(&a);
        c.share_with(&a);
        d.share_with(&a);
        assert!(b.shares_with(&a));
        assert!(!d.shares_with(&a));
        // Only the bytes are shared: each keeps where its own fields end.
        assert!(c.shares_with(&a));
        assert_eq!((c.get(0), c.get(1)), (Some("xy"), None));
        assert_eq!((b.get(0), b.get(1)), (Some("x"), Some("y")));
    }
}
