//! The regions 0.16.2 knew and its default image (Ubuntu 16.04) in each. Any region is
//! accepted with a custom endpoint; then no default image exists.

/// `(region, default AMI)`.
const REGIONS: &[(&str, &str)] = &[
    ("ap-northeast-1", "ami-bcb7f6da"),
    ("ap-northeast-2", "ami-5073de3e"),
    ("ap-southeast-1", "ami-41e4af3d"),
    ("ap-southeast-2", "ami-c1498fa3"),
    ("ap-south-1", "ami-1083dc7f"),
    ("ca-central-1", "ami-8d9e19e9"),
    ("cn-north-1", "ami-cc4499a1"),
    ("cn-northwest-1", "ami-fd0e1a9f"),
    ("eu-north-1", "ami-017ff17f"),
    ("eu-central-1", "ami-bc4925d3"),
    ("eu-west-1", "ami-0b541372"),
    ("eu-west-2", "ami-ff46a298"),
    ("eu-west-3", "ami-9465d3e9"),
    ("sa-east-1", "ami-b5501bd9"),
    ("us-east-1", "ami-927185ef"),
    ("us-east-2", "ami-b9daeddc"),
    ("us-west-1", "ami-264c4646"),
    ("us-west-2", "ami-78a22900"),
    ("us-gov-west-1", "ami-2561ea44"),
];

/// The default AMI of a known region (`None` for an unknown one).
pub fn default_ami(region: &str) -> Option<&'static str> {
    REGIONS
        .iter()
        .find(|(r, _)| *r == region)
        .map(|(_, ami)| *ami)
}

#[cfg(test)]
mod tests {
    #[test]
    fn known_and_unknown() {
        assert_eq!(super::default_ami("us-east-1"), Some("ami-927185ef"));
        assert_eq!(super::default_ami("mars-1"), None);
    }
}
