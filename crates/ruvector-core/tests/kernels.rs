//! Risk: kernels that disagree between builds, or compute the wrong thing.

use ruvector_core::distance::{self, portable, scalar, Metric};
use ruvector_core::SplitMix64;

fn random(n: usize, rng: &mut SplitMix64) -> Vec<f32> {
    (0..n).map(|_| (rng.normal() * 3.0) as f32).collect()
}

#[test]
fn portable_and_dispatch_match_scalar_bit_for_bit() {
    let mut rng = SplitMix64::new(0xB175);
    for len in (0..70).chain([127, 128, 129, 384, 768, 1536]) {
        for _ in 0..20 {
            let (a, b) = (random(len, &mut rng), random(len, &mut rng));
            let pairs = [
                (
                    scalar::dot(&a, &b),
                    portable::dot(&a, &b),
                    distance::dot(&a, &b),
                ),
                (
                    scalar::l2_squared(&a, &b),
                    portable::l2_squared(&a, &b),
                    distance::l2_squared(&a, &b),
                ),
                (
                    scalar::manhattan_sum(&a, &b),
                    portable::manhattan_sum(&a, &b),
                    distance::manhattan_sum(&a, &b),
                ),
            ];
            for (s, p, d) in pairs {
                assert_eq!(
                    s.to_bits(),
                    p.to_bits(),
                    "len {len}: scalar {s} vs portable {p}"
                );
                assert_eq!(
                    s.to_bits(),
                    d.to_bits(),
                    "len {len}: scalar {s} vs dispatch {d}"
                );
            }
        }
    }
}

#[test]
fn kernels_follow_the_documented_order() {
    // 16 lanes, fixed reduction, then the tail: rebuild the sum by hand for one length.
    let mut rng = SplitMix64::new(7);
    let (a, b) = (random(37, &mut rng), random(37, &mut rng));
    let mut acc = [0.0f32; 16];
    for c in 0..2 {
        for (l, lane) in acc.iter_mut().enumerate() {
            *lane += a[c * 16 + l] * b[c * 16 + l];
        }
    }
    let mut total = distance::reduce_lanes(&acc);
    for i in 32..37 {
        total += a[i] * b[i];
    }
    assert_eq!(total.to_bits(), distance::dot(&a, &b).to_bits());
}

#[test]
fn kernels_agree_with_f64_references() {
    let mut rng = SplitMix64::new(0xF64);
    let (a, b) = (random(384, &mut rng), random(384, &mut rng));
    let dot: f64 = a.iter().zip(&b).map(|(x, y)| *x as f64 * *y as f64).sum();
    let l2: f64 = a
        .iter()
        .zip(&b)
        .map(|(x, y)| (*x as f64 - *y as f64).powi(2))
        .sum();
    let l1: f64 = a
        .iter()
        .zip(&b)
        .map(|(x, y)| (*x as f64 - *y as f64).abs())
        .sum();
    assert!((distance::dot(&a, &b) as f64 - dot).abs() < 1e-3 * (1.0 + dot.abs()));
    assert!((distance::l2_squared(&a, &b) as f64 - l2).abs() < 1e-4 * l2);
    assert!((distance::manhattan_sum(&a, &b) as f64 - l1).abs() < 1e-4 * l1);
}

#[test]
fn distance_and_score_follow_the_metric_table() {
    let a = [3.0f32, 4.0];
    let b = [0.0f32, 0.0];
    assert_eq!(Metric::Euclidean.distance(&a, &b), 5.0);
    assert_eq!(Metric::Euclidean.score(5.0), -5.0);
    assert_eq!(Metric::Manhattan.distance(&a, &b), 7.0);
    assert_eq!(Metric::Manhattan.score(7.0), -7.0);
    let c = [1.0f32, 2.0];
    assert_eq!(Metric::DotProduct.distance(&a, &c), -11.0);
    assert_eq!(Metric::DotProduct.score(-11.0), 11.0);
    let (u, v) = ([0.6f32, 0.8], [0.8f32, 0.6]);
    let d = Metric::Cosine.distance(&u, &v);
    assert!((d - (1.0 - 0.96)).abs() < 1e-6);
    assert!((Metric::Cosine.score(d) - 0.96).abs() < 1e-6);
    // -0.0 comes back as +0.0 so ties compare equal.
    assert_eq!(
        Metric::DotProduct.distance(&[0.0], &[5.0]).to_bits(),
        0.0f32.to_bits()
    );
}

#[test]
fn metric_names_round_trip() {
    for m in Metric::ALL {
        assert_eq!(m.name().parse::<Metric>(), Ok(m));
        assert_eq!(
            serde_json::to_string(&m).unwrap(),
            format!("\"{}\"", m.name())
        );
    }
    let err = "l2".parse::<Metric>().unwrap_err();
    assert!(err
        .to_string()
        .contains("cosine, euclidean, dotproduct, manhattan"));
    assert!(
        !distance::simd128_compiled(),
        "native builds use the portable kernel"
    );
    assert!(distance::kernel_name().starts_with("portable-"));
}

#[cfg(target_arch = "x86_64")]
#[test]
fn avx_kernel_matches_scalar_when_the_cpu_has_avx() {
    if !portable::avx_available() {
        println!("SKIPPED: this CPU has no AVX");
        return;
    }
    let mut rng = SplitMix64::new(0xA7);
    for len in (0..70).chain([384, 1536]) {
        let (a, b) = (random(len, &mut rng), random(len, &mut rng));
        // SAFETY: AVX checked above.
        let avx = unsafe { portable::sum_avx::<distance::Dot>(&a, &b) };
        assert_eq!(avx.to_bits(), scalar::dot(&a, &b).to_bits(), "len {len}");
        let avx = unsafe { portable::sum_avx::<distance::L1>(&a, &b) };
        assert_eq!(
            avx.to_bits(),
            scalar::manhattan_sum(&a, &b).to_bits(),
            "len {len}"
        );
    }
    assert_eq!(distance::kernel_name(), "portable-avx");
}
