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
