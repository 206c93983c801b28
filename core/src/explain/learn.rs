//! The Learn screen's texts: what each privacy technique protects against, what
//! it does not, what it costs, and whether GenoPriv applies it, with references.
//!
//! Kept as data so that the texts are reviewed in one place and the tests below
//! hold every technique to the same shape and wording rules.

/// Whether the workbench uses a technique.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    /// GenoPriv applies it to what it releases.
    Yes,
    /// GenoPriv does not apply it but measures what it leaves exposed.
    Measured,
    /// Not part of GenoPriv.
    No,
}

impl Applied {
    pub fn label(self) -> &'static str {
        match self {
            Applied::Yes => "Applied in GenoPriv",
            Applied::Measured => "Measured, not applied, in GenoPriv",
            Applied::No => "Not part of GenoPriv",
        }
    }
}

/// A published source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reference {
    pub citation: &'static str,
    /// A DOI or a stable address.
    pub link: &'static str,
}

/// One technique, consequences first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Technique {
    pub name: &'static str,
    /// How it works, in one line.
    pub how: &'static str,
    pub protects_against: &'static [&'static str],
    pub does_not_protect_against: &'static [&'static str],
    pub cost: &'static str,
    pub applied: Applied,
    /// Where GenoPriv uses or measures it, or why it does not.
    pub applied_here: &'static str,
    pub references: &'static [Reference],
}

/// Read before the techniques: how they fit together.
pub const OVERVIEW: &str = "Two different questions: who can see the data while it is \
    computed on, and what the result reveals once it is published. Federated learning, secure \
    aggregation, multiparty computation, homomorphic encryption and trusted hardware answer the \
    first; only differential privacy limits the second. A GWAS computed inside an encrypted \
    protocol reveals as much about its participants as one computed in the clear, so the \
    techniques complement each other. GenoPriv measures what results reveal.";

pub const TECHNIQUES: [Technique; 5] = [
    Technique {
        name: "Differential privacy",
        how: "Adds calibrated random noise so that any one person's data changes what is \
              released by at most a factor set by epsilon.",
        protects_against: &[
            "Someone who has Alice's DNA learning from the release whether she took part, \
             beyond the limit epsilon sets.",
            "Attacks not yet invented, and whatever else the attacker knows: the limit holds \
             against every attacker.",
        ],
        does_not_protect_against: &[
            "Learning about Alice's relatives: they share her DNA, and the limit covers what one \
             person's record adds, not what a family has in common.",
            "Learning facts about the population, such as which variants go with the disease: \
             that is what the study is for.",
            "A large epsilon: the limit still exists but can allow near-certain inferences.",
        ],
        cost: "Noise makes results less exact; a smaller epsilon means more noise. Budgets add \
               up over every release made from the same people.",
        applied: Applied::Yes,
        applied_here: "The Protect screen shares genotypes with the XOR and randomized-response \
                       mechanisms and can restore frequencies from noised counts; the Audit \
                       screen trains models with DP-SGD; the accountants compute epsilon.",
        references: &[
            Reference {
                citation: "Dwork, McSherry, Nissim, Smith (2006). Calibrating noise to \
                           sensitivity in private data analysis. TCC.",
                link: "https://doi.org/10.1007/11681878_14",
            },
            Reference {
                citation: "Dwork, Roth (2014). The algorithmic foundations of differential \
                           privacy. Foundations and Trends in Theoretical Computer Science.",
                link: "https://doi.org/10.1561/0400000042",
            },
            Reference {
                citation: "Abadi et al. (2016). Deep learning with differential privacy. ACM \
                           CCS.",
                link: "https://doi.org/10.1145/2976749.2978318",
            },
        ],
    },
    Technique {
        name: "Federated learning",
        how: "Each site trains on its own data and sends only model updates to a server that \
              combines them.",
        protects_against: &[
            "Copying the raw genotypes: they never leave the site that holds them.",
        ],
        does_not_protect_against: &[
            "What the updates reveal: gradients can show who was in a site's data, and \
             sometimes let an attacker rebuild records.",
            "Attacks on the final model, which leaks like any other trained model.",
            "A server or site that inspects the updates it receives.",
        ],
        cost: "Coordination between sites, many rounds of communication, and usually lower \
               accuracy when sites' data differ.",
        applied: Applied::Measured,
        applied_here: "The Audit screen (and `genopriv audit model --federated`) simulates \
                       federated averaging, with or without secure aggregation, and measures \
                       how much membership its updates and model reveal. GenoPriv does not \
                       run a federation between sites.",
        references: &[
            Reference {
                citation: "McMahan et al. (2017). Communication-efficient learning of deep \
                           networks from decentralized data. AISTATS.",
                link: "https://proceedings.mlr.press/v54/mcmahan17a.html",
            },
            Reference {
                citation: "Melis, Song, De Cristofaro, Shmatikov (2019). Exploiting unintended \
                           feature leakage in collaborative learning. IEEE S&P.",
                link: "https://arxiv.org/abs/1805.04049",
            },
            Reference {
                citation: "Zhu, Liu, Han (2019). Deep leakage from gradients. NeurIPS.",
                link: "https://arxiv.org/abs/1906.08935",
            },
        ],
    },
    Technique {
        name: "Secure aggregation and multiparty computation",
        how: "Sites compute a sum or a whole analysis together on encrypted or split-up \
              inputs, so that no party sees another's data.",
        protects_against: &[
            "The server or another site seeing one site's data or update: only the combined \
             result is revealed.",
        ],
        does_not_protect_against: &[
            "What the combined result reveals: GWAS statistics computed this way can show \
             whether a known genome took part, exactly as ones computed in the clear.",
            "Parties that collude in greater numbers than the protocol allows.",
        ],
        cost: "Much more computation and communication than a plain analysis, and every \
               party must stay online and follow the protocol.",
        applied: Applied::No,
        applied_here: "GenoPriv works on one computer that holds the whole cohort. Its results \
                       are what such a protocol would output, so its audits apply to them.",
        references: &[
            Reference {
                citation: "Yao (1986). How to generate and exchange secrets. IEEE FOCS.",
                link: "https://doi.org/10.1109/SFCS.1986.25",
            },
            Reference {
                citation: "Bonawitz et al. (2017). Practical secure aggregation for \
                           privacy-preserving machine learning. ACM CCS.",
                link: "https://doi.org/10.1145/3133956.3133982",
            },
            Reference {
                citation: "Cho, Wu, Berger (2018). Secure genome-wide association analysis \
                           using multiparty computation. Nature Biotechnology.",
                link: "https://doi.org/10.1038/nbt.4108",
            },
            Reference {
                citation: "Homer et al. (2008). Resolving individuals contributing trace amounts \
                           of DNA to highly complex mixtures using high-density SNP genotyping \
                           microarrays. PLoS Genetics.",
                link: "https://doi.org/10.1371/journal.pgen.1000167",
            },
        ],
    },
    Technique {
        name: "Homomorphic encryption",
        how: "A server computes directly on encrypted data and returns an encrypted result \
              that only the key holder can read.",
        protects_against: &[
            "The server that runs the analysis reading the genotypes or the result.",
        ],
        does_not_protect_against: &[
            "What the decrypted result reveals to whoever receives it.",
            "Mistakes in handling the keys.",
        ],
        cost: "Thousands of times slower than computing on plain data, with limits on which \
               calculations are practical.",
        applied: Applied::No,
        applied_here: "GenoPriv does not outsource computation: everything runs on this \
                       computer. What an encrypted analysis outputs can still be audited here.",
        references: &[
            Reference {
                citation: "Gentry (2009). Fully homomorphic encryption using ideal lattices. \
                           ACM STOC.",
                link: "https://doi.org/10.1145/1536414.1536440",
            },
            Reference {
                citation: "Blatt, Gusev, Polyakov, Goldwasser (2020). Secure large-scale \
                           genome-wide association studies using homomorphic encryption. PNAS.",
                link: "https://doi.org/10.1073/pnas.1918257117",
            },
        ],
    },
    Technique {
        name: "Trusted execution environments",
        how: "A protected area of the processor (an enclave) runs the analysis so that the \
              rest of the machine, its owner included, cannot read the data.",
        protects_against: &[
            "The operator of a shared or cloud computer reading the data while it is analysed.",
        ],
        does_not_protect_against: &[
            "Side-channel attacks, which have repeatedly extracted data from enclaves.",
            "What the analysis's output reveals.",
            "A flaw or a breach at the chip maker, whom every user has to trust.",
        ],
        cost: "Special hardware, small enclave memory, and trust in the vendor's attestation \
               service.",
        applied: Applied::No,
        applied_here: "GenoPriv runs on your own computer and sends nothing anywhere, so there \
                       is no other operator to hide the data from.",
        references: &[
            Reference {
                citation: "Costan, Devadas (2016). Intel SGX explained. IACR Cryptology ePrint \
                           Archive 2016/086.",
                link: "https://eprint.iacr.org/2016/086",
            },
            Reference {
                citation: "Van Bulck et al. (2018). Foreshadow: extracting the keys to the Intel \
                           SGX kingdom with transient out-of-order execution. USENIX Security.",
                link: "https://www.usenix.org/conference/usenixsecurity18/presentation/bulck",
            },
        ],
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    /// Every text a user reads, except references (published titles are quoted
    /// as they are).
    fn texts(t: &Technique) -> Vec<&'static str> {
        let mut all = vec![t.how, t.cost, t.applied_here];
        all.extend(t.protects_against);
        all.extend(t.does_not_protect_against);
        all
    }

    #[test]
    fn every_technique_says_what_it_protects_costs_and_whether_it_is_applied() {
        let mut names: Vec<&str> = TECHNIQUES.iter().map(|t| t.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), TECHNIQUES.len(), "names repeat");
        for t in &TECHNIQUES {
            assert!(!t.protects_against.is_empty(), "{}", t.name);
            assert!(!t.does_not_protect_against.is_empty(), "{}", t.name);
            for text in texts(t) {
                assert!(text.trim().len() > 20, "{}: {text:?}", t.name);
                assert!(
                    text.ends_with('.'),
                    "{}: a sentence ends with a full stop: {text:?}",
                    t.name
                );
                assert!(!text.contains("  "), "{}: {text:?}", t.name);
            }
            assert!(!t.references.is_empty(), "{} needs a reference", t.name);
            for r in t.references {
                let year = r
                    .citation
                    .split(['(', ')'])
                    .nth(1)
                    .and_then(|y| y.parse::<u32>().ok());
                assert!(
                    year.is_some_and(|y| (1970..=2030).contains(&y)),
                    "a citation gives its year: {}",
                    r.citation
                );
                assert!(r.link.starts_with("https://"), "{}", r.link);
            }
        }
        // The overview names every technique it contrasts.
        for word in [
            "Federated learning",
            "secure aggregation",
            "multiparty computation",
            "homomorphic encryption",
            "trusted hardware",
            "differential privacy",
        ] {
            assert!(
                OVERVIEW.to_lowercase().contains(&word.to_lowercase()),
                "{word}"
            );
        }
    }

    #[test]
    fn only_differential_privacy_is_claimed_as_applied() {
        // The workbench releases data protected by DP and nothing else; claiming
        // another technique would mislead a reviewer.
        let applied: Vec<&str> = TECHNIQUES
            .iter()
            .filter(|t| t.applied == Applied::Yes)
            .map(|t| t.name)
            .collect();
        assert_eq!(applied, ["Differential privacy"]);
        // DP's limits include relatives (ux spec: DP does not protect relatives).
        let Some(dp) = TECHNIQUES.iter().find(|t| t.name == "Differential privacy") else {
            panic!("no DP entry");
        };
        assert!(
            dp.does_not_protect_against
                .iter()
                .any(|s| s.contains("relatives"))
        );
    }

    #[test]
    fn no_forbidden_words() {
        let technique_names = ["secure aggregation", "multiparty computation"];
        let mut all: Vec<String> = vec![OVERVIEW.to_lowercase()];
        for t in &TECHNIQUES {
            all.push(t.name.to_lowercase());
            all.extend(texts(t).into_iter().map(str::to_lowercase));
        }
        for text in &all {
            for word in [
                "anonymous",
                "anonymi",
                "cannot be re-identified",
                "fully safe",
            ] {
                assert!(!text.contains(word), "{text}");
            }
            // "Secure" only as part of a technique's name, never as a promise.
            let mut rest = text.clone();
            for name in technique_names {
                rest = rest.replace(name, "");
            }
            assert!(!rest.contains("secure"), "{text}");
        }
    }
}
