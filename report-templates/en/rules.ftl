# The rules figures are computed by: rule-<id> with the rule's values.
# An admin may override any rule in their own templates_dir/en/rules.ftl.

rule-separator = {"; "}
rule-text = { $text }
rule-kpi_held_back = { $rule }, held back by the gate { $gate }: { $paid }
rule-kpi_gate_holds = { $rule }: { $held } pay nothing
rule-kpi_at_pace = { $rule } at the month's pace (× { NUMBER($pace, maximumFractionDigits: 2) })
rule-talk_minutes = talk minutes = talk time / 60; { $talk }
