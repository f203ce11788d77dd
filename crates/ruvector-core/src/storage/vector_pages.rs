//! Vector pages read on demand while a database opens or catches up. Slots are restored in
//! increasing order, so only the page in use is read, checked and decoded: memory holds
//! each vector once (in the collection), not also in every decoded page, and a browser
//! touches no more fresh memory than the engine itself needs.

use super::records::{Manifest, VectorPage};
use super::{corrupt, OpenError, PageKind, RecordError, RecordSource, MANIFEST_KEY};

/// The vector pages a manifest names, read lazily from `source`.
pub(crate) struct VectorPages<'a> {
    source: &'a dyn RecordSource,
    /// The live generation of each vector page.
    /// `(page, generation)`, ascending by page (the manifest's order).
    gens: Vec<(u32, u64)>,
    dim: usize,
    cosine: bool,
    /// The page in use, with its key.
    current: Option<(u32, String, VectorPage)>,
}

impl<'a> VectorPages<'a> {
    /// The pages `manifest` names, in `source`.
    pub(crate) fn new(source: &'a dyn RecordSource, manifest: &Manifest) -> Self {
        let gens = manifest
            .pages
            .iter()
            .filter(|((kind, _), _)| *kind == PageKind::Vectors)
            .map(|(&(_, p), &gen)| (p, gen))
            .collect();
        VectorPages {
            source,
            gens,
            dim: manifest.config.dimensions,
            cosine: manifest.config.metric == crate::Metric::Cosine,
            current: None,
        }
    }

    /// The stored (prepared) vector of `slot` and its norm (1 unless cosine). Reads and
    /// checks its page when it is not the one in use.
    pub(crate) fn get(&mut self, slot: u32) -> Result<(&[f32], f32), OpenError> {
        let p = slot / PageKind::Vectors.slots();
        if self.current.as_ref().map(|c| c.0) != Some(p) {
            self.current = None;
            self.current = Some(self.read(p, slot)?);
        }
        let (_, key, page) = self
            .current
            .as_ref()
            .ok_or_else(|| corrupt(MANIFEST_KEY, format!("no vector page for slot {slot}")))?;
        let j = (slot - page.first) as usize;
        let v = page
            .vectors
            .get(j * self.dim..(j + 1) * self.dim)
            .ok_or_else(|| corrupt(key, format!("does not hold slot {slot}")))?;
        Ok((v, page.norms.get(j).copied().unwrap_or(1.0)))
    }

    fn read(&self, p: u32, slot: u32) -> Result<(u32, String, VectorPage), OpenError> {
        let per_page = PageKind::Vectors.slots();
        let at = self.gens.binary_search_by_key(&p, |&(page, _)| page);
        let gen = at.ok().map(|i| &self.gens[i].1).ok_or_else(|| {
            corrupt(
                MANIFEST_KEY,
                format!("names no vector page for slot {slot}"),
            )
        })?;
        let key = PageKind::Vectors.key(p, *gen);
        let bytes = self
            .source
            .get(&key)?
            .ok_or(RecordError::Missing { key: key.clone() })?;
        let page = VectorPage::decode(&key, &bytes)?;
        if page.first != p * per_page
            || page.count > per_page
            || page.vectors.len() != page.count as usize * self.dim
            || page.norms.len() != if self.cosine { page.count as usize } else { 0 }
        {
            return Err(corrupt(&key, "page shape does not match the manifest"));
        }
        Ok((p, key, page))
    }
}
