# The command line's reports (report figures, report kpi). An admin may
# override any message in their own templates_dir/en/cli.ftl.

cli-date = { $y }-{ $m }-{ $d }
cli-none = -

## report figures

cli-figures-title = { $team } — { $from } to { $to } ({ $tz })
cli-figures-calls = Calls: out { $out } · in { $in } · missed { $missed } · connected { $connected } · successful { $successful } · talk { $talk } (mean { $mean }, median { $median })
cli-figures-mix = under 1 min { $short } · 1–3 min { $medium } · over 3 min { $long } · cold { $cold } · warm { $warm } · new clients { $new } · existing { $existing }
cli-figures-activities = Activities: { $list }
cli-figures-plan = Plan: { $completion } ({ $status }, { $days } working { $days ->
    [one] day
   *[other] days
}): { $lines }
cli-plan-met = met
cli-plan-missed = missed
cli-plan-info = missed, sales plan met
cli-plan-none = no plan
cli-plan-line-met = { $figure } { $actual }/{ $target } ok
cli-plan-line-low = { $figure } { $actual }/{ $target } LOW
cli-figures-pulse = Pulse { $day }: { $calls } { $calls ->
    [one] call
   *[other] calls
} { $first }–{ $last } · { $zones } { $zones ->
    [one] zone
   *[other] zones
} · idle { $idle } ({ $idle_total }{ $longest }) · in calls { $share } · wrap-up { $wrap_bad } / { $wrap_good } · peak { $peak } ({ $peak_calls } { $peak_calls ->
    [one] call
   *[other] calls
}, utilisation { $utilisation })
cli-figures-pulse-longest = , longest { $length } { $from }–{ $to }
cli-figures-hygiene = Hygiene: cards { $cards } · overdue { $overdue } (oldest { $oldest } { $oldest ->
    [one] day
   *[other] days
}) · postponed without action { $postponed } · deals without task { $no_task } · calls without trace { $untraced } · weak comments { $weak } ({ $weak_share }) · unfinished { $unfinished }
cli-figures-funnel = Funnel: open { $open } · won { $won } · lost { $lost } · stuck { $stuck }{ $bottleneck }
cli-figures-bottleneck = {" · "}bottleneck "{ $stage }" ({ $share } vs team { $team_share })
cli-figures-why = why { $figure }: { $rule }
cli-figures-why-plan = why plan: { $rule }
cli-figures-team-funnel = Team funnel
cli-figures-stage = { $stage }: open { $open } ({ $amount }) · entered { $entered } · went on { $went_on } · conversion { $conversion }
cli-temperature-hot = hot
cli-temperature-warm = warm
cli-temperature-cold = cold
cli-figures-temperature = { $temperature } leads: { $won } won of { $closed } closed ({ $rate }), benchmark { $low }–{ $high }
cli-figures-channel = channel { $channel }: { $leads } { $leads ->
    [one] lead
   *[other] leads
}, { $won } won, revenue { $revenue }
cli-figures-stuck = stuck deals: { $n }
cli-figures-stuck-deal = { $deal } "{ $title }" at "{ $stage }" for { $days } { $days ->
    [one] day
   *[other] days
} (threshold { $threshold }), { $amount }, owner { $owner }

## report kpi

cli-kpi-title = KPI of { $team } for { $month } (figures through { $through }: { $gone } of { $days } working { $days ->
    [one] day
   *[other] days
})
cli-kpi-bonus = bonus
cli-kpi-forecast = forecast
cli-kpi-total = Total
cli-kpi-no-scheme = no scheme
cli-kpi-no-position = no position
cli-kpi-person-no-scheme = { $name }: no KPI scheme in force for position "{ $position }" in { $month }
cli-kpi-person = { $name } — { $position }, scheme from { $from }: { $bonus }
cli-kpi-records = records ({ $n }): { $list }
cli-kpi-records-more = records ({ $n }): { $list }, … { $more } more
