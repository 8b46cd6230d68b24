# Правила, по которым считаются показатели: rule-<id> со значениями
# правила. Администратор может переопределить любое правило в своём
# templates_dir/ru/rules.ftl.

rule-separator = {"; "}
rule-text = { $text }
rule-kpi_held_back = { $rule }, удержано воротами «{ $gate }»: { $paid }
rule-kpi_gate_holds = { $rule }: { $held } не выплачиваются
rule-kpi_at_pace = { $rule } в темпе месяца (× { NUMBER($pace, maximumFractionDigits: 2) })
rule-talk_minutes = минуты разговоров = время разговоров / 60; { $talk }
