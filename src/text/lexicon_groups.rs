// The lexicon's groups (see lexicon.rs), in a file of their own so that build.rs can read them too:
// it stems them at build time. Words are single lowercase ASCII words. Only general CDP
// vocabulary belongs here — what every deployment's profiles speak of (messages and consent,
// money, orders and delivery, membership and support, accounts) — never words for one domain:
// every deployment is a new domain, and the thesaurus (data/wordnet) covers general English.

const GROUPS: &[&[&str]] = &[
    // messaging channels and consent
    &["sms", "text", "texting", "message", "messaging"],
    &["email", "mail", "newsletter", "inbox"],
    &["notification", "push", "alert", "reminder"],
    &["stop", "unsubscribe", "opt", "consent", "subscribe"],
    // money
    &["bill", "invoice", "charge", "statement", "fee"],
    &["pay", "payment", "paid", "autopay", "transaction", "card"],
    &["refund", "return", "exchange", "reimburse"],
    &["price", "cost", "amount", "total", "spend", "value"],
    &["higher", "increase", "overage", "extra", "spike"],
    &[
        "discount",
        "coupon",
        "promo",
        "promotion",
        "sale",
        "deal",
        "voucher",
        "offer",
    ],
    &["credit", "balance", "wallet", "funds"],
    // orders and delivery
    &["buy", "purchase", "order", "bought"],
    &[
        "late", "delay", "arrive", "arrival", "deliver", "delivery", "ship", "shipment", "track",
        "carrier", "parcel", "transit", "dispatch",
    ],
    &["cart", "basket", "add", "checkout"],
    &["broken", "damaged", "defective", "wrong"],
    &["wishlist", "wish", "saved"],
    &["gift", "present"],
    &["store", "shop", "pickup"],
    // taste and feedback
    &[
        "recommend",
        "suggest",
        "favorite",
        "favourite",
        "prefer",
        "preferred",
        "interest",
    ],
    &["review", "rating", "feedback", "survey"],
    // membership, subscriptions and support
    &["loyalty", "reward", "point", "member", "membership"],
    &["plan", "subscription", "bundle"],
    &["tier", "level", "status", "rank"],
    &["ticket", "case", "complaint", "issue", "support", "problem"],
    &["cancel", "cancellation", "churn", "terminate"],
    &["pause", "hold", "suspend"],
    &["renew", "renewal", "expire", "expiry", "expiration"],
    &["warranty", "guarantee", "repair"],
    &[
        "account",
        "login",
        "password",
        "signin",
        "sign",
        "credentials",
    ],
    &["change", "modify", "reschedule", "rebook", "switch"],
    &["language", "locale", "translation"],
    // the device events come from (Segment's `context.device`: type, model, manufacturer)
    &["device", "phone", "mobile", "handset", "smartphone", "tablet"],
];
