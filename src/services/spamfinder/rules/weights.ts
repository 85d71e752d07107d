// Learned weights of the content filter (log-odds per rule, the Bayes feature's two weights, the
// bias). Fitted by `BENCH_SPAM_MODE=cv npm run bench:spam`, which prints this file's objects:
// logistic regression (rules/fit.ts, L2 1), each weight held to its rule's documented direction
// (fit.ts fitSigned), with the ham cut into folds by source (a list, else the sender's site).
// WITH_BAYES: on the TRAINING part of the SpamAssassin public corpus (easy-ham-1 + spam-1), the
// Bayes feature from out-of-fold scores (each ham mail scored by a Bayes that never saw its
// sender); on a site its bias and Bayes weights are refitted to the site's own learned mail
// (rules/calibrate.ts), the rule weights stay. RULES_ONLY (out of the box, nothing to calibrate):
// on that training part and on the first half of the TREC 2007 public corpus (2500 ham + 500 spam
// of it, BENCH_SPAM_OTHER), so the rules alone carry to more than one site's mail. No weight or
// threshold was fitted to a test part (easy-ham-2, hard-ham-1, spam-2; TREC's second half); every
// run of the test part is listed in docs/spamfinder.md.

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
  bias: -1.05,
  bayes: 6.53,
  bayesHam: 1.7,
  rules: {
    HTML_LINK_MISMATCH: 0.1,
    HTML_HIDDEN_TEXT: 0.02,
    HTML_ACTIVE_CONTENT: 0.89,
    MIME_BASE64_TEXT: 0.08,
    MIME_ALT_DIFFERS: 0.08,
    URI_NUMERIC_IP: 1.41,
    URI_OBFUSCATED: 0.24,
    URI_MANY_SITES: 0,
    URI_WEIRD_PORT: 0.09,
    SUBJ_ALL_CAPS: 1.32,
    SUBJ_TRAILING_ID: 0.6,
    SUBJ_REPLY: -0.6,
    BODY_CAPS: 0.06,
    BODY_EXCLAIM: 0.52,
    BODY_OBFUSCATED: 0,
    HTML_WORD_SPLIT: 0.02,
    BODY_SPAM_PHRASES: 1.48,
    BODY_QUOTED_REPLY: -0.81,
    BODY_SIGNATURE: -0.39,
    PGP_SIGNED: -0.15,
    HDR_MISSING_DATE: 0,
    HDR_MISSING_MID: 0,
    HDR_MID_ODD: 0.75,
    HDR_TO_UNDISCLOSED: 1,
    HDR_DATE_FUTURE: 1.4,
    HDR_DATE_PAST: 0.69,
    HDR_REPLY_TO_OTHER: 0.64,
    HDR_PRIORITY_HIGH: 1.68,
    HDR_FROM_NO_NAME: 1.61,
    HDR_FROM_ENDS_IN_NUMS: 1.11,
    HDR_OUTLOOK_FORGED: 2.61,
    HDR_FREEMAIL_FORGED: 1.14,
    HDR_REPLY_TO_FREEMAIL: 0.1,
    HDR_FROM_DOMAIN_DIGITS: 0.03,
    HDR_MANY_RECIPIENTS: 0.59,
    HDR_DATE_ODD: 1.21,
    HDR_LIST: -2.84,
    HDR_IN_REPLY_TO: -1.49,
    HDR_MID_SAME_SITE: -0.94,
    URI_SENDER_SITE: 0,
    RCVD_DYNAMIC: 1.25,
    RCVD_HELO_BOGUS: 1.98,
    RCVD_DIRECT_MUA: 0.63,
    RCVD_SENDER_SITE: 0,
    HDR_RETURN_PATH_SAME_SITE: -2.65,
  },
};

/** Bayes not trained yet (out of the box): rules alone (used with rules.untrainedThreshold). */
export const RULES_ONLY: Weights = {
  bias: 1.06,
  bayes: 0,
  rules: {
    HTML_LINK_MISMATCH: 2.48,
    HTML_HIDDEN_TEXT: 0.58,
    HTML_ACTIVE_CONTENT: 0.14,
    MIME_BASE64_TEXT: 0.23,
    MIME_ALT_DIFFERS: 0,
    URI_NUMERIC_IP: 4.1,
    URI_OBFUSCATED: 2.1,
    URI_MANY_SITES: -1.2,
    URI_WEIRD_PORT: 1.02,
    SUBJ_ALL_CAPS: 2.83,
    SUBJ_TRAILING_ID: 2.82,
    SUBJ_REPLY: -1.35,
    BODY_CAPS: 0.75,
    BODY_EXCLAIM: 2.64,
    BODY_OBFUSCATED: 0.66,
    HTML_WORD_SPLIT: 0.04,
    BODY_SPAM_PHRASES: 0.85,
    BODY_QUOTED_REPLY: -1.54,
    BODY_SIGNATURE: 0,
    PGP_SIGNED: -0.8,
    HDR_MISSING_DATE: 0,
    HDR_MISSING_MID: 0,
    HDR_MID_ODD: 1.02,
    HDR_TO_UNDISCLOSED: 0.65,
    HDR_DATE_FUTURE: 1.71,
    HDR_DATE_PAST: 1.66,
    HDR_REPLY_TO_OTHER: 0,
    HDR_PRIORITY_HIGH: 1.88,
    HDR_FROM_NO_NAME: 1.33,
    HDR_FROM_ENDS_IN_NUMS: 1.89,
    HDR_OUTLOOK_FORGED: 4.16,
    HDR_FREEMAIL_FORGED: 1.45,
    HDR_REPLY_TO_FREEMAIL: 0.86,
    HDR_FROM_DOMAIN_DIGITS: 1.56,
    HDR_MANY_RECIPIENTS: 0.88,
    HDR_DATE_ODD: 3.33,
    HDR_LIST: -4.74,
    HDR_IN_REPLY_TO: -2.38,
    HDR_MID_SAME_SITE: -0.6,
    URI_SENDER_SITE: -0.78,
    RCVD_DYNAMIC: 2.54,
    RCVD_HELO_BOGUS: 3.57,
    RCVD_DIRECT_MUA: 4.14,
    RCVD_SENDER_SITE: 0,
    HDR_RETURN_PATH_SAME_SITE: -2.93,
  },
};
