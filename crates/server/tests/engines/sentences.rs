//! The sentences the speech-to-text engines are measured on, and the word error rate.
//!
//! Shared by the engine tests and `examples/engine_bench.rs` (which includes this file), so
//! both measure the same thing. The set mixes commands, questions, names, numbers written both
//! as digits and as words, contractions and hyphenated words.

/// What the engines are asked to hear, spoken by espeak-ng and by Piper at test time.
pub(crate) const SENTENCES: [&str; 14] = [
    "The quick brown fox jumps over the lazy dog.",
    "Please turn off the lights in the kitchen.",
    "What is the weather like in Paris today?",
    "I would like to book a table for two at seven.",
    "Can you tell me how to get to the train station?",
    "My favorite color is green and I love the ocean.",
    "Remind me to call my mother tomorrow morning.",
    "The meeting has been moved to Thursday afternoon.",
    "It's a well-known fact that cats don't like water.",
    "Set a timer for 25 minutes, please.",
    "Send the report to the marketing team by Friday.",
    "How many people live in New York City?",
    "We need three eggs, a cup of milk and some flour.",
    "Turn the volume down a little bit.",
];

/// The words of `text` as they are compared: lower case; punctuation dropped except an
/// apostrophe inside a word ("don't"); hyphenated words split ("well-known" is two words);
/// whole numbers spelled out ("25" is "twenty five", as "twenty-five" is).
pub(crate) fn words(text: &str) -> Vec<String> {
    let spaced: String = text
        .chars()
        .map(|c| if c == '-' || c == '\u{2014}' { ' ' } else { c })
        .collect();
    let mut words = Vec::new();
    for raw in spaced.split_whitespace() {
        let word: String = raw
            .chars()
            .filter(|c| c.is_alphanumeric() || *c == '\'')
            .flat_map(char::to_lowercase)
            .collect();
        let word = word.trim_matches('\'');
        match word.parse::<u64>() {
            Ok(number) => words.extend(number_words(number)),
            Err(_) if !word.is_empty() => words.push(word.to_owned()),
            Err(_) => {}
        }
    }
    words
}

/// `number` in English words, e.g. 125 is ["one", "hundred", "twenty", "five"].
fn number_words(number: u64) -> Vec<String> {
    const ONES: [&str; 20] = [
        "zero",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
    ];
    const TENS: [&str; 10] = [
        "", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
    ];
    const SCALES: [(u64, &str); 3] = [
        (1_000_000_000, "billion"),
        (1_000_000, "million"),
        (1_000, "thousand"),
    ];
    let mut words = Vec::new();
    if let Some(&(scale, name)) = SCALES.iter().find(|(scale, _)| number >= *scale) {
        words.extend(number_words(number / scale));
        words.push(name.to_owned());
        if !number.is_multiple_of(scale) {
            words.extend(number_words(number % scale));
        }
    } else if number >= 100 {
        words.extend(number_words(number / 100));
        words.push("hundred".to_owned());
        if !number.is_multiple_of(100) {
            words.extend(number_words(number % 100));
        }
    } else if number >= 20 {
        words.push(TENS[(number / 10) as usize].to_owned());
        if !number.is_multiple_of(10) {
            words.push(ONES[(number % 10) as usize].to_owned());
        }
    } else {
        words.push(ONES[number as usize].to_owned());
    }
    words
}

/// Word-level edit distance of `heard` from `expected`: substitutions, insertions and
/// deletions, after [`words`] on both and [`join_compounds`] each way (so "to-morrow" is
/// "tomorrow").
pub(crate) fn word_errors(expected: &str, heard: &str) -> usize {
    let (expected, heard) = (words(expected), words(heard));
    let (expected, heard) = (
        join_compounds(&expected, &heard),
        join_compounds(&heard, &expected),
    );
    let mut row: Vec<usize> = (0..=heard.len()).collect();
    for (i, want) in expected.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, got) in heard.iter().enumerate() {
            let substitution = diagonal + usize::from(want != got);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[heard.len()]
}

/// `words` with every run of two or three that `other` writes as one word joined into it.
fn join_compounds(words: &[String], other: &[String]) -> Vec<String> {
    let mut joined = Vec::with_capacity(words.len());
    let mut rest = words;
    while !rest.is_empty() {
        let run = (2..=3.min(rest.len()))
            .rev()
            .find(|&len| other.contains(&rest[..len].concat()))
            .unwrap_or(1);
        joined.push(rest[..run].concat());
        rest = &rest[run..];
    }
    joined
}

/// Word error rate of `heard` against `expected`: [`word_errors`] over the expected words.
pub(crate) fn word_error_rate(expected: &str, heard: &str) -> f64 {
    word_errors(expected, heard) as f64 / words(expected).len().max(1) as f64
}

/// Word errors over every `(expected, heard)` pair: total errors and total expected words.
pub(crate) fn total_errors<'a>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> (usize, usize) {
    pairs
        .into_iter()
        .fold((0, 0), |(errors, count), (expected, heard)| {
            (
                errors + word_errors(expected, heard),
                count + words(expected).len(),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_compared_without_case_punctuation_hyphens_or_digits() {
        assert_eq!(
            words("It's a well-known fact: 25 cats, 101 dogs!"),
            [
                "it's", "a", "well", "known", "fact", "twenty", "five", "cats", "one", "hundred",
                "one", "dogs"
            ]
        );
        assert_eq!(word_errors("Twenty-five minutes.", "25 minutes"), 0);
        assert_eq!(words("2,000"), ["two", "thousand"]);
        assert_eq!(word_errors("turn off the lights", "turn of lights now"), 3);
        assert_eq!(word_errors("my mother tomorrow", "my mother to-morrow"), 0);
        assert_eq!(word_errors("a well-known fact", "a wellknown fact"), 0);
    }
}
