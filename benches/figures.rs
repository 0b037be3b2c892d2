//! Throughput of the figures grammar on one core, in MB/s of input text.
//! Input: the shared sample article (when present beside the checkout) plus prose written for this
//! bench, repeated to about 8 MB. Run: cargo bench --bench figures

use std::time::Instant;

use veille::figures::{extract, Context};
use veille::lang::Lang;

const OWN: &str = "Le groupe a annoncé mardi un plan d'investissement compris entre 60 et 65 milliards de \
dollars pour 2025, après 40 milliards en 2024. Au premier trimestre, le chiffre d'affaires a atteint \
36,46 milliards de dollars, en hausse de 27 % sur un an, et la marge a gagné 3 points de pourcentage. \
La filiale européenne emploie environ 20 000 salariés et prévoit plus d'un million de GPU d'ici l'an \
prochain. Les analystes restent prudents : la trésorerie disponible recule de -13,81 % et la dette \
dépasse 1,2 Md€. Le titre a clôturé à 612,35 euros, soit une capitalisation de 1 550 milliards.\n\
Microsoft said it would spend $80 billion on data centers this fiscal year, up from $55.7bn, while \
Amazon Web Services revenue rose 17.5% to $27.5 billion in the third quarter of 2024. The company \
has more than 228,000 employees and plans to deploy 350,000 Nvidia H100 chips by the end of the year.\n\
La compañía invertirá 34.100 millones de euros en centros de datos hasta 2030 y creará unos 1.400 \
empleos directos, según el plan presentado el 24 de enero de 2025.\n\
Der Umsatz stieg im zweiten Quartal um 68 Prozent auf 6,8 Mrd. Dollar; der Konzern beschäftigt rund \
30.000 Mitarbeiter.\n";

fn main() {
    let sample = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/examples/fr_meta_ia_2025.txt")).unwrap_or_default();
    let unit = format!("{sample}\n{OWN}");
    let mut text = String::new();
    while text.len() < 8 << 20 {
        text.push_str(&unit);
    }
    let ctx = Context { lang: Lang::Fr, published: chrono::NaiveDate::from_ymd_opt(2025, 1, 24) };
    // Warm-up: builds the lexicon tables once.
    let n = extract(&text[..unit.len()], &ctx).len();
    let mut best = f64::MAX;
    let mut figures = 0;
    for _ in 0..5 {
        let t = Instant::now();
        figures = extract(&text, &ctx).len();
        best = best.min(t.elapsed().as_secs_f64());
    }
    let mb = text.len() as f64 / 1e6;
    println!("figures: {:.1} MB in {:.3} s (best of 5) = {:.1} MB/s, {} figures ({} per unit)", mb, best, mb / best, figures, n);
}
