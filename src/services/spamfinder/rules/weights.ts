// Learned weights of the content filter (log-odds per rule, the Bayes feature's two weights, the
// bias). Fitted by `BENCH_SPAM_MODE=cv npm run bench:spam`, which prints this file's objects:
// logistic regression (rules/fit.ts, L2 1) on the TRAINING part of the SpamAssassin public corpus
// only (easy-ham-1 + spam-1), each weight held to its rule's documented direction (fit.ts
// fitSigned). The Bayes feature is taken from out-of-fold scores with the ham cut into folds by
// source (a list, else the sender's site): each ham mail is scored by a Bayes that never saw its
// sender, as the appliance scores a new newsletter, so the weights learn how far Bayes can be
// trusted there. The thresholds (config.ts `rules`) were chosen by that cross-validation too; no
// weight or threshold was fitted to the test part (easy-ham-2, hard-ham-1, spam-2). The test part
// was run three times while the rule layer was written (see docs/spamfinder.md, "Targets").

export interface Weights {
  bias: number;
  /** Weight of the Bayes feature (combiner.ts bayesFeature) when Bayes leans to spam; 0 in the rules-only set. */
  bayes: number;
  /** Its weight when Bayes leans to ham (absent: the same as `bayes`). */
  bayesHam?: number;
  rules: Record<string, number>;
}

/** Bayes trained: Bayes score and rules together. A weight of 0: the training part gave the rule no
 * evidence its way (it stays listed so an admin sees it was considered). */
export const WITH_BAYES: Weights = {
  bias: -1.07,
  bayes: 6.42,
  bayesHam: 1.73,
  rules: {
    HTML_LINK_MISMATCH: 0.11,
    HTML_HIDDEN_TEXT: 0.01,
    HTML_ACTIVE_CONTENT: 0.93,
    MIME_BASE64_TEXT: 0.44,
    MIME_ALT_DIFFERS: 0.09,
    URI_NUMERIC_IP: 1.42,
    URI_OBFUSCATED: 0.29,
    URI_MANY_SITES: 0,
    URI_WEIRD_PORT: 0.1,
    SUBJ_ALL_CAPS: 1.3,
    SUBJ_TRAILING_ID: 1.76,
    SUBJ_REPLY: -0.63,
    BODY_CAPS: 0.06,
    BODY_EXCLAIM: 0.65,
    BODY_OBFUSCATED: 0,
    HTML_WORD_SPLIT: 0.02,
    BODY_SPAM_PHRASES: 1.15,
    BODY_QUOTED_REPLY: -0.9,
    BODY_SIGNATURE: -0.27,
    PGP_SIGNED: -0.14,
    HDR_MISSING_DATE: 0,
    HDR_MISSING_MID: 0,
    HDR_MID_ODD: 1.17,
    HDR_TO_UNDISCLOSED: 1.21,
    HDR_DATE_FUTURE: 1.32,
    HDR_DATE_PAST: 0.89,
    HDR_REPLY_TO_OTHER: 0.56,
    HDR_PRIORITY_HIGH: 1.7,
    HDR_FROM_NO_NAME: 1.51,
    HDR_FROM_ENDS_IN_NUMS: 1.06,
    HDR_OUTLOOK_FORGED: 2.71,
    HDR_FREEMAIL_FORGED: 1.45,
    HDR_REPLY_TO_FREEMAIL: 0.1,
    HDR_FROM_DOMAIN_DIGITS: 0.01,
    HDR_MANY_RECIPIENTS: 0.51,
    HDR_DATE_ODD: 1.2,
    HDR_LIST: -3,
    HDR_IN_REPLY_TO: -1.54,
    HDR_MID_SAME_SITE: -0.79,
    URI_SENDER_SITE: 0,
    RCVD_DYNAMIC: 1.13,
    RCVD_SENDER_SITE: 0,
    HDR_RETURN_PATH_SAME_SITE: -2.64,
  },
};

/** Bayes not trained yet (out of the box): rules alone (used with rules.untrainedThreshold). */
export const RULES_ONLY: Weights = {
  bias: 1.04,
  bayes: 0,
  rules: {
    HTML_LINK_MISMATCH: 1.48,
    HTML_HIDDEN_TEXT: 0.28,
    HTML_ACTIVE_CONTENT: 3.11,
    MIME_BASE64_TEXT: 0.37,
    MIME_ALT_DIFFERS: 0.08,
    URI_NUMERIC_IP: 3.36,
    URI_OBFUSCATED: 1.97,
    URI_MANY_SITES: -0.56,
    URI_WEIRD_PORT: 1.15,
    SUBJ_ALL_CAPS: 2.8,
    SUBJ_TRAILING_ID: 2.92,
    SUBJ_REPLY: -0.94,
    BODY_CAPS: 1.01,
    BODY_EXCLAIM: 2.72,
    BODY_OBFUSCATED: 0,
    HTML_WORD_SPLIT: 0.12,
    BODY_SPAM_PHRASES: 0.94,
    BODY_QUOTED_REPLY: -1.27,
    BODY_SIGNATURE: 0,
    PGP_SIGNED: -0.66,
    HDR_MISSING_DATE: 0,
    HDR_MISSING_MID: 0,
    HDR_MID_ODD: 1.71,
    HDR_TO_UNDISCLOSED: 1.16,
    HDR_DATE_FUTURE: 1.42,
    HDR_DATE_PAST: 0.91,
    HDR_REPLY_TO_OTHER: 0,
    HDR_PRIORITY_HIGH: 2.46,
    HDR_FROM_NO_NAME: 1.51,
    HDR_FROM_ENDS_IN_NUMS: 2.23,
    HDR_OUTLOOK_FORGED: 3.92,
    HDR_FREEMAIL_FORGED: 1.99,
    HDR_REPLY_TO_FREEMAIL: 0.86,
    HDR_FROM_DOMAIN_DIGITS: 0.3,
    HDR_MANY_RECIPIENTS: 0.91,
    HDR_DATE_ODD: 3.35,
    HDR_LIST: -4.23,
    HDR_IN_REPLY_TO: -2.74,
    HDR_MID_SAME_SITE: -0.16,
    URI_SENDER_SITE: 0,
    RCVD_DYNAMIC: 0.72,
    RCVD_SENDER_SITE: 0,
    HDR_RETURN_PATH_SAME_SITE: -3.56,
  },
};
