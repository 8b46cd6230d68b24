# The messages people read, in English (Project Fluent).
# An admin may override any message in their own
# templates_dir/en/messages.ftl; the others come from here.

## Counts and units

calls = { $n } { $n ->
    [one] call
   *[other] calls
}

duration = { $h ->
    [0] { $m ->
        [0] { $s } s
       *[other] { $s ->
            [0] { $m } min
           *[other] { $m } min { $s } s
        }
    }
   *[other] { $m ->
        [0] { $h } h
       *[other] { $h } h { $m } min
    }
}

percent = { NUMBER($p, maximumFractionDigits: 1) } %
money = { $currency ->
    [RUB] RUB
   *[other] { $currency }
} { $amount }

## Figures: what people call them

figure-calls_out = Outbound calls
figure-calls_in = Inbound calls
figure-missed = Missed calls
figure-connected = Connected calls
figure-successful_contacts = Successful contacts
figure-talk_time = Talk time
figure-talk_minutes = Talk minutes
figure-talk_mean = Mean talk
figure-talk_median = Median talk
figure-short_calls = Calls under 1 min
figure-medium_calls = Calls of 1–3 min
figure-long_calls = Calls over 3 min
figure-cold_calls = Cold calls
figure-warm_calls = Warm calls
figure-new_client_calls = Calls to new clients
figure-existing_client_calls = Calls to existing clients
figure-idle_gaps = Idle gaps
figure-idle_total = Idle time
figure-longest_idle = Longest idle gap
figure-share_in_calls = Share of the shift in calls
figure-wrapup_after_unsuccessful = Wrap-up after an unsuccessful call
figure-wrapup_after_successful = Wrap-up after a successful call
figure-peak_hour = Peak hour
figure-utilisation = Line utilisation
figure-calls_without_trace = Calls without a CRM trace
figure-calls_about_deals = Calls about deals
figure-cards_touched = Cards touched
figure-comments = Comments
figure-weak_comments = Weak comments
figure-weak_comment_share = Share of weak comments
figure-overdue_tasks = Overdue tasks
figure-oldest_overdue_days = Oldest overdue task
figure-unfinished_tasks = Unfinished tasks
figure-deals_without_next_task = Deals without a next task
figure-postponed_without_action = Postponed without action
figure-open_tasks_per_open_deal = Tasks per open deal
figure-stuck_deals = Stuck deals
figure-deals_won = Deals won
figure-deals_lost = Deals lost
figure-win_rate = Win rate
figure-revenue = Revenue
figure-meetings = Meetings
figure-proposals = Proposals sent
figure-emails = Emails
figure-called = Numbers called

## Days

# $weekday: 1 is Monday … 7 Sunday; $date: "02.12".
day-label = { $weekday ->
    [1] Mon
    [2] Tue
    [3] Wed
    [4] Thu
    [5] Fri
    [6] Sat
   *[7] Sun
} { $date }
period-label = { $first } – { $last }

## Short names of figures in tables and plan lines

short-calls_out = Outbound
short-calls_in = Inbound
short-connected = Connected
short-successful_contacts = Successful
short-cold_calls = Cold calls
short-warm_calls = Warm calls
short-new_client_calls = New clients
short-proposals = Proposals
short-cards_touched = Cards
short-deals_won = Deals

## Charts

chart-team-day = The team's day — { $day }
chart-team-pulse = Team pulse — { $day }
chart-team-funnel = Team funnel: open deals and conversion over { $days } { $days ->
    [one] day
   *[other] days
}
chart-plan = Plan vs actual — { $day }
chart-left-out = furthest behind plan; { $n } more not shown
chart-manager-pulse = { $name } — call pulse, { $day }
chart-manager-funnel = { $name } — funnel
chart-pulse-successful = successful
chart-pulse-short = short
chart-pulse-unanswered = not answered
chart-pulse-idle = idle
chart-week-trend = Successful contacts by day
chart-week-this = this week
chart-week-last = last week
chart-week-plan = Plan vs actual, the week
chart-week-funnel = Funnel: open deals and the week's conversion

## Buttons

digest-quiet = No data for { $day } — the last call was { $last }.
digest-quiet-never = No data for { $day } — no calls yet.
digest-source-stale = Source "{ $source }" has not been pulled since { $since }, though schedule "{ $schedule }" asks for it.
button-pulse = Pulse: { $name }
button-why = Why? { $name }
button-stuck = Stuck: { $n }
button-overdue = Overdue: { $n }
button-missed = Missed calls: { $n }

## Money, shares, leads

money-short = { $currency ->
    [RUB] RUB
   *[other] { $currency }
} { $value }{ $scale ->
    [million] M
    [thousand] K
   *[unit] {""}
}
percent-range = { NUMBER($low, maximumFractionDigits: 0) }–{ NUMBER($high, maximumFractionDigits: 0) } %
lead-temperature = { $temperature ->
    [hot] hot
    [warm] warm
    [cold] cold
   *[other] { $temperature }
}
figure-calls = Calls

## The workbook: sheets and columns

sheet-managers-by-day = Managers by day
sheet-recordings = Recordings
sheet-stuck-deals = Stuck deals
sheet-overdue-tasks = Overdue tasks
sheet-kpi = KPI
column-date = Date
column-manager = Manager
column-calls-out = Calls out
column-calls-in = Calls in
column-missed = Missed
column-connected = Connected
column-successful = Successful
column-talk-min = Talk, min
column-cold = Cold
column-warm = Warm
column-proposals = Proposals
column-meetings = Meetings
column-plan-pct = Plan, %
column-idle-min = Idle, min
column-longest-idle-min = Longest idle, min
column-without-trace = Without CRM trace
column-overdue-tasks = Overdue tasks
column-time = Time
column-talk-s = Talk, s
column-recording = Recording
column-deal = Deal
column-title = Title
column-stage = Stage
column-days-in-stage = Days in stage
column-threshold-days = Threshold, days
column-amount = Amount
column-oldest-days-late = Oldest, days late
column-why = Why
column-position = Position
column-scheme-from = Scheme from
column-indicator = Indicator
column-figure = Figure
column-value = Value
column-how-counted = How it was counted
column-the-figure = The figure
column-records = Records
column-bonus = Bonus, { $currency }
column-forecast = forecast at the month's pace: { $bonus }

days = { $n } { $n ->
    [one] day
   *[other] days
}

month-label = { $m ->
    [1] January
    [2] February
    [3] March
    [4] April
    [5] May
    [6] June
    [7] July
    [8] August
    [9] September
    [10] October
    [11] November
   *[12] December
} { $y }
figure-plan_completion = Activity plan completion

## Intraday alerts (report/alerts.rs)
alert-missed-callback = ☎️ Missed call from { $number } at { $time } { $n ->
    [one] not called back
   *[other] ({ $n } calls) not called back
} — it was due at { $due }. To call back: { $name }
alert-missed-callback-late = ✅ called back after { $after }
alert-no-calls-by = 📵 { $name }: { $made } of { $wanted } outbound { $wanted ->
    [one] call
   *[other] calls
} by now
alert-idle-now = ⏸ { $name }: no call since { $since } ({ $idle })
alert-trace-backlog = 🗒 { $name }: { $n } { $n ->
    [one] call
   *[other] calls
} about deals with no CRM trace { $window } after the talk (of { $of })
alert-plan-pace = 🐢 { $name }: the plan due by this hour is { $pct } % done
alert-plan-pace-line = 🐢 { $name }: the plan due by this hour is { $pct } % done — { $figure }: { $actual } of { $target }
alert-team = the team
alert-limit = Today's limit reached: { $n } "{ $rule }" { $n ->
    [one] alert
   *[other] alerts
} — no more until tomorrow
alert-rule-missed_callback = missed call not called back
alert-rule-no_calls_by = few calls by the hour
alert-rule-idle_now = idle
alert-rule-trace_backlog = calls without a CRM trace
alert-rule-plan_pace = behind the plan
