# The bot's replies. An admin may override any message in their own
# templates_dir/en/bot.ftl.

## Commands: Telegram's menu and /help

bot-help-title = <b>Commands</b>
bot-command-me = my figures: /me [yesterday|week|month|20.11]
bot-command-pulse = call pulse: /pulse [who] [date]
bot-command-plan = plan vs actual: /plan [who]
bot-command-funnel = funnel: /funnel [who]
bot-command-stuck = stuck deals: /stuck [who]
bot-command-overdue = overdue tasks: /overdue [who]
bot-command-top = leaderboard: /top [day|week|month]
bot-command-team = the team on the last working day
bot-command-kpi = bonus: /kpi [who] [2026-11]
bot-command-why = where a figure comes from: /why successful [who] [date]; missed calls and their call backs: /why callback [date]
bot-command-report = evening self-report: /report cold 32 warm 9 proposals 18
bot-command-help = what the bot does

## Getting to know each other

bot-hello = Hello, { $name }.
bot-linked = Done, you are <b>{ $name }</b>.
bot-code-unknown = No such code. Check it or ask for a new one.
bot-code-expired = The code has expired. Ask for a new one.
bot-code-used = This code has been used already. Ask for a new one.
bot-stranger = I don't know you. Ask your head for a code and send /start CODE.
bot-failed = Something went wrong on our side. Please try again a little later.

## Refusals

bot-refusal-own-only = You can see your own figures only.
bot-refusal-not-your-team = { $name } is not in your team.
bot-refusal-hidden = This figure is shown to heads only.
bot-refusal-no-one = Nobody called "{ $who }" here. Check the name.
bot-refusal-several = "{ $who }" matches several people: { $names }. Say whom you mean.

## Mistakes in commands

bot-error-too-long = The message is too long for a command: { $length } { $length ->
    [one] character
   *[other] characters
}, at most { $max }.
bot-error-not-a-command = That is not a command: commands begin with "/".
bot-error-unknown-command = /{ $name } is not a command.
bot-error-not-a-period = "{ $word }" is not a day or a period. For example: yesterday, week, month, 20.11.
bot-error-me-takes-one = /me takes one day or period only.
bot-error-report-needs-figures = Put your figures after /report, e.g. /report cold 32 warm 9 proposals 18
bot-error-report-pairs = A self-report goes in pairs of a figure and a number, e.g. /report cold 32 warm 9 proposals 18
bot-error-report-figure = A self-report has no figure "{ $word }". You may give: { $list }.
bot-error-why-needs-figure = Put a figure after /why, e.g. /why successful
bot-error-unknown-figure = No such figure "{ $word }". You may ask about: { $list }.

## Answers

# "20.11": a day in headings.
bot-day = { $dd }.{ $mm }
bot-person-day = <b>{ $name }</b>, { $day }
bot-no-figures = { $name }: no data for { $day }.
bot-no-figure = { $figure }: no value for { $day }.
bot-more = … and { $n } more
bot-why-short = under { $min }
bot-record = { $kind ->
    [call] call
    [deal] deal
    [task] task
    [activity] activity
    [comment] comment
    [stage_change] stage change
   *[postponement] postponement
} { $id }

bot-plan-none = No plan.
bot-plan-line = { $figure }: { $actual } of { $target }

bot-funnel-none = No funnel for { $day }: there were no deals.

button-more = { $n } more ({ $left } left)
button-day-before = ◀ { $day }
button-day-after = { $day } ▶
button-why-menu = Why?
button-plan = Plan
button-kpi = KPI
bot-why-menu = What to explain — { $name }, { $day }?
bot-button-expired = This button has expired. Type the command again (see /help).
bot-missed-title = <b>Missed calls of { $day }: { $n }</b>{ $never ->
    [0] {""}
   *[other] , not called back: { $never }
}
bot-missed-none = No missed calls on { $day }.
bot-missed-line = { $time } { $number }{ $n ->
    [one] {""}
   *[other] {" "}({ $n } calls)
} · { $name } · { $state }
bot-missed-in-time = called back after { $after }
bot-missed-late = called back late, after { $after }
bot-missed-never = not called back
bot-missed-waiting = call back by { $due }
bot-stuck-title = <b>Stuck deals: { $n }</b>
bot-stuck-none = No stuck deals.
bot-stuck-line = { $deal } · { $owner } · "{ $stage }" { $days } { $days ->
    [one] day
   *[other] days
} (threshold { $threshold })

bot-overdue-title = <b>Overdue tasks: { $n }</b>
bot-overdue-line = { $n ->
    [0] { $name }: 0
   *[other] { $name }: { $n }, the oldest { $days } { $days ->
        [one] day
       *[other] days
    }
}

bot-top-title = { $period ->
    [day] <b>Activity plan</b> on { $first }
    [month] <b>Activity plan</b> this month, { $first }–{ $last }
   *[week] <b>Activity plan</b> this week, { $first }–{ $last }
}

bot-kpi-title = <b>Bonus: { $name }, { $month }</b>
bot-kpi-no-scheme = No bonus scheme for the position "{ $position }" this month.
bot-kpi-total = Total: { $amount }
bot-kpi-forecast = Forecast at the pace so far ({ NUMBER($gone, maximumFractionDigits: 1) } of { $days } working days): { $amount }

bot-report-title = Self-report vs measured (yours / the data's):
bot-report-line = { $figure }: { $reported } / { $measured }
bot-report-note-title = ⚠️ A self-report differs from the measured figures: { $name }, { $day }
bot-report-note-line = { $figure }: reported { $reported }, measured { $measured }



## Notes to the admin

admin-missed-one = ⚠️ The schedule "{ $schedule }" at { $slot } ({ $tz }) was missed: salespulse was not running, and it is over { $hours } h late now. Not sent.
admin-missed-many = ⚠️ The schedule "{ $schedule }" was missed { $n } { $n ->
    [one] time
   *[other] times
}, from { $first } to { $last } ({ $tz }): salespulse was not running. Not sent.
admin-chat-disabled = ⚠️ Chat { $chat } no longer gets reports: { $reason }.
admin-not-delivered = ⚠️ Not delivered: "{ $schedule }" { $slot } → { $recipient }: { $why }
