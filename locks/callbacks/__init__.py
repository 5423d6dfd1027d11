"""The call-back queue (拦截-外呼-止付, 智能规则+人工复核): open cases ordered for the 95588 agents, claims
(one agent at a time, lapsing), the call's outcome and its effects, escalation, and the review deadline."""
