//! `--shard K/N`: N workers split one folder among themselves with no coordination. A file belongs
//! to shard K when the SHA-256 of its path relative to the folder, read as a number, is K-1 modulo
//! N: the same on every machine and every run (std's hasher is seeded per process, so not usable).

use std::fmt;
use std::str::FromStr;

use sha2::{Digest, Sha256};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 1-based, as written on the command line.
    pub k: u64,
    pub n: u64,
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Shard, String> {
        let bad = |why: &str| format!("invalid shard {s:?}: {why} (expected K/N with 1 <= K <= N, e.g. 2/4)");
        let (k, n) = s.split_once('/').ok_or_else(|| bad("no '/'"))?;
        let k: u64 = k.trim().parse().map_err(|_| bad("K is not a whole number"))?;
        let n: u64 = n.trim().parse().map_err(|_| bad("N is not a whole number"))?;
        if n == 0 {
            return Err(bad("N must be at least 1"));
        }
        if k == 0 || k > n {
            return Err(bad("K must be between 1 and N"));
        }
        Ok(Shard { k, n })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}/{}", self.k, self.n)
    }
}

impl Shard {
    /// True when the file at `relative_path` (as `ingest::relative_path` writes it) is this shard's.
    pub fn contains(&self, relative_path: &str) -> bool {
        let digest = Sha256::digest(relative_path.as_bytes());
        let head = u64::from_be_bytes(digest[..8].try_into().expect("SHA-256 is 32 bytes"));
        head % self.n == self.k - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects_bad_values() {
        assert_eq!("2/4".parse::<Shard>().unwrap(), Shard { k: 2, n: 4 });
        assert_eq!("1/1".parse::<Shard>().unwrap(), Shard { k: 1, n: 1 });
        for bad in ["0/4", "5/4", "x", "1/0", "2", "a/4", "1/b", "-1/4"] {
            let e = bad.parse::<Shard>().unwrap_err();
            assert!(e.contains(bad) && e.contains("K/N"), "{bad}: {e}");
        }
    }

    #[test]
    fn every_path_falls_in_exactly_one_shard() {
        let paths: Vec<String> = (0..400).map(|i| format!("feeds/{}/article-{i}.txt", i % 7)).collect();
        let n = 4;
        let mut sizes = vec![0usize; n as usize];
        for p in &paths {
            let owners: Vec<u64> = (1..=n).filter(|&k| Shard { k, n }.contains(p)).collect();
            assert_eq!(owners.len(), 1, "{p}: {owners:?}");
            sizes[owners[0] as usize - 1] += 1;
        }
        // A fair hash spreads 400 paths over 4 shards; a broken one (all in one shard) fails here.
        assert!(sizes.iter().all(|&s| s > 60), "{sizes:?}");
    }

    #[test]
    fn shard_of_a_path_is_stable_across_runs() {
        // Pinned values (computed independently with Python's hashlib): a change of hash would
        // reshuffle every deployment's shards, so it must show here.
        let owner = |p: &str| (1..=4).find(|&k| Shard { k, n: 4 }.contains(p)).unwrap();
        assert_eq!(owner("fr/meta-ia-2025.txt"), 1);
        assert_eq!(owner("en/a.txt"), 4);
        assert_eq!(owner("b.md"), 3);
    }
}
