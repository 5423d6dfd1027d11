"""The self-check scan (安全检测): checks from the customer's real data (`checks`), a score, fixes that only
tighten through the normal change path (`services`), what each finding says (`texts`), the weekly scan (`tasks`)."""
