# The rules figures are computed by: rule-<id> with the rule's values.
# An admin may override any rule in their own templates_dir/en/rules.ftl.

rule-separator = {"; "}

## Telephony

rule-calls_out = outbound calls = { $n } of { $of } { $of ->
    [one] call
   *[other] calls
} (internal left out)
rule-calls_in = inbound calls = { $n } of { $of } { $of ->
    [one] call
   *[other] calls
} (internal left out)
rule-missed = missed = inbound calls never answered = { $n } of { $of }
rule-connected = connected = calls with talk time > 0 = { $n } of { $of }
rule-successful_contacts = successful contacts = connected calls with talk >= { $min_secs } = { $n } of { $of }
rule-talk_time = talk time = sum of talk over { $n } connected { $n ->
    [one] call
   *[other] calls
} = { $talk }
rule-talk_mean = mean talk = { $talk } / { $n } connected { $n ->
    [one] call
   *[other] calls
} = { $mean }
rule-talk_median = median talk over { $n } connected { $n ->
    [one] call
   *[other] calls
} = { $median }
rule-talk_median_none = median talk: no connected calls
rule-short_calls = connected calls under 1 min = { $n } of { $of }
rule-medium_calls = connected calls of 1 to 3 min = { $n } of { $of }
rule-long_calls = connected calls over 3 min = { $n } of { $of }
rule-cold_calls = cold calls = outbound calls to numbers with no successful contact before = { $n } of { $of }
rule-warm_calls = warm calls = outbound calls to numbers with a successful contact before = { $n } of { $of }
rule-new_client_calls = calls to new clients = calls to numbers with no earlier call or deal = { $n } of { $of }
rule-existing_client_calls = calls to existing clients = { $n } of { $of }

## A day's pulse

rule-idle_gap = { $from }–{ $to } ({ $length })
rule-idle_gaps = idle gaps = pauses over { $min } inside { $from }–{ $to }: { $n } totalling { $total }{ $n ->
    [0] {""}
   *[other] : { $gaps }
}
rule-idle_total = idle total = { $total }
rule-longest_idle = longest idle gap = { $gap }
rule-longest_idle_none = longest idle gap: none
rule-share_in_calls = share of the shift in calls = { $in_zones } in { $zones } active { $zones ->
    [one] zone
   *[other] zones
} / { $work } of working hours = { $share }
rule-wrapup_after_unsuccessful = median wrap-up after an unsuccessful call = { $median } over { $n } { $n ->
    [one] pause
   *[other] pauses
}
rule-wrapup_after_unsuccessful_none = wrap-up after unsuccessful calls: none inside active zones
rule-wrapup_after_successful = median wrap-up after a successful call = { $median } over { $n } { $n ->
    [one] pause
   *[other] pauses
}
rule-wrapup_after_successful_none = wrap-up after successful calls: none inside active zones
rule-peak_hour = peak hour = { $from }–{ $to } with { $calls } { $calls ->
    [one] call
   *[other] calls
}
rule-peak_hour_none = peak hour: no calls
rule-utilisation = utilisation = { $calls } { $calls ->
    [one] call
   *[other] calls
} / potential ({ $peak } in the peak hour × { $hours } working { $hours ->
    [one] hour
   *[other] hours
} = { $potential }) = { $share }
rule-utilisation_none = utilisation: no calls

## Funnel

rule-deals_won = deals won in the period = { $n }
rule-deals_lost = deals lost in the period = { $n }
rule-win_rate = win rate = { $won } won / { $closed } closed = { $rate }
rule-win_rate_none = win rate: no deals closed in the period
rule-revenue = revenue = sum of { $n } { $n ->
    [one] deal
   *[other] deals
} won = { $revenue }
rule-stuck_deals = stuck deals = open deals longer in their stage than its threshold = { $n }
rule-bottleneck = bottleneck = "{ $stage }": { $n } of their { $of } open { $of ->
    [one] deal
   *[other] deals
} ({ $share }) wait there, against { $team_share } for the team

## Plan

rule-plan_line = { $figure }: { $actual } of { $target } over { $days } working { $days ->
    [one] day
   *[other] days
} = { $completion }
rule-plan_line_no_target = { $figure }: { $actual }, no target over { $days } working { $days ->
    [one] day
   *[other] days
}
rule-plan_completion = plan completion = mean of the lines' completions, each capped at 100 % ({ $lines })
rule-plan_completion_line = { $figure } { $actual }/{ $target }
rule-plan_completion_none = plan completion: no plan

## CRM hygiene

rule-cards_touched = cards touched = distinct deals with a comment, activity, stage change or task of theirs = { $n }
rule-overdue_tasks = overdue tasks = open tasks past their due time = { $n }
rule-overdue_tasks_oldest = overdue tasks = open tasks past their due time = { $n }, the oldest { $days } { $days ->
    [one] day
   *[other] days
} late ("{ $title }")
rule-oldest_overdue_days = the oldest overdue task is { $days } { $days ->
    [one] day
   *[other] days
} late
rule-postponed_without_action = postponed without action = tasks moved later with no call or activity on the deal in between = { $n } of { $of } { $of ->
    [one] move
   *[other] moves
}
rule-deals_without_next_task = open deals with no open task = { $n } of { $of }
rule-open_tasks_per_open_deal = open tasks per open deal = { $tasks } / { $deals } = { $per_deal }
rule-calls_without_trace = calls without a CRM trace = successful calls about a deal with no comment, activity, task or stage change on it within { $window } = { $n } of { $of }
rule-calls_about_deals = successful calls whose number is a deal's phone (or linked to a deal) = { $n }
rule-weak_comments = weak comments = shorter than { $min_chars } { $min_chars ->
    [one] character
   *[other] characters
} or only stock phrases = { $n } of { $of }
rule-weak_comment_share = weak comment share = { $n } / { $of } = { $share }
rule-comments = comments written in the period = { $n }
rule-unfinished_tasks = unfinished tasks = due in the period and still open at its end = { $n } of { $of }
rule-talk_minutes = talk minutes = talk time / 60; { $talk }

## CRM activities

rule-proposals = proposals sent = proposal activities logged in the CRM = { $n }
rule-meetings = meetings = meeting activities logged in the CRM = { $n }
rule-emails = emails = email activities logged in the CRM = { $n }

## KPI

rule-kpi_no_figure = no such figure for this person
rule-kpi_per_unit = { $name }: { $actual } × { $amount } = { $total }
rule-kpi_capped = { $rule }, capped at { $cap }
rule-kpi_linear = { $name }: { $actual } of { $target } = { $pct } × { $pay } = { $total }
rule-kpi_linear_below_floor = { $name }: { $actual } of { $target } = { $pct }, below the floor of { $floor }: { $paid }
rule-kpi_linear_capped = { $name }: { $actual } of { $target } = { $pct }, capped at { $cap } × { $pay } = { $total }
rule-kpi_step = from { $at } → { $amount }
rule-kpi_steps = { $name }: { $actual }, the step from { $at } reached: { $amount } (steps: { $steps })
rule-kpi_steps_below = { $name }: { $actual }, below the first step ({ $first }): { $paid } (steps: { $steps })
rule-kpi_gate_min_passed = gate { $name }: { $actual } ≥ { $target }: passed
rule-kpi_gate_min_failed = gate { $name }: { $actual } < { $target }: not passed
rule-kpi_gate_max_passed = gate { $name }: { $actual } ≤ { $target }: passed
rule-kpi_gate_max_failed = gate { $name }: { $actual } > { $target }: not passed
rule-kpi_held_back = { $rule }, held back by the gate { $gate }: { $paid }
rule-kpi_gate_holds = { $rule }: { $held } pay nothing
rule-kpi_at_pace = { $rule } at the month's pace (× { NUMBER($pace, maximumFractionDigits: 2) })
rule-kpi_forecast = forecast at the pace of { $gone } of { $days } working { $days ->
    [one] day
   *[other] days
}: { $bonus } ({ $parts })
rule-kpi_forecast_part = { $name } { $actual }
rule-kpi_forecast_gate_passed = gate { $name } passed
rule-kpi_forecast_gate_failed = gate { $name } not passed at { $actual }
