# Правила, по которым считаются показатели: rule-<id> со значениями
# правила. Администратор может переопределить любое правило в своём
# templates_dir/ru/rules.ftl.

rule-separator = {"; "}

## Телефония

rule-calls_out = исходящие = { $n } из { $of } { $of ->
    [one] звонка
   *[other] звонков
} (без внутренних)
rule-calls_in = входящие = { $n } из { $of } { $of ->
    [one] звонка
   *[other] звонков
} (без внутренних)
rule-missed = пропущенные = входящие без ответа = { $n } из { $of }
rule-connected = соединения = звонки с разговором = { $n } из { $of }
rule-successful_contacts = результативные контакты = соединения с разговором от { $min_secs } = { $n } из { $of }
rule-talk_time = время разговоров = сумма по { $n } { $n ->
    [one] соединению
   *[other] соединениям
} = { $talk }
rule-talk_mean = средний разговор = { $talk } на { $n } { $n ->
    [one] соединение
    [few] соединения
   *[many] соединений
} = { $mean }
rule-talk_median = медиана разговора по { $n } { $n ->
    [one] соединению
   *[other] соединениям
} = { $median }
rule-talk_median_none = медиана разговора: соединений не было
rule-short_calls = разговоры до 1 мин = { $n } из { $of } { $of ->
    [one] соединения
   *[other] соединений
}
rule-medium_calls = разговоры от 1 до 3 мин = { $n } из { $of } { $of ->
    [one] соединения
   *[other] соединений
}
rule-long_calls = разговоры дольше 3 мин = { $n } из { $of } { $of ->
    [one] соединения
   *[other] соединений
}
rule-cold_calls = холодные звонки = исходящие на номера без прежнего результативного контакта = { $n } из { $of }
rule-warm_calls = тёплые звонки = исходящие на номера с прежним результативным контактом = { $n } из { $of }
rule-new_client_calls = звонки новым клиентам = на номера без прежних звонков и сделок = { $n } из { $of }
rule-existing_client_calls = звонки действующим клиентам = { $n } из { $of }

## Пульс дня

rule-idle_gap = { $from }–{ $to } ({ $length })
rule-idle_gaps = простои = паузы дольше { $min } в рабочие часы { $from }–{ $to }: { $n }, всего { $total }{ $n ->
    [0] {""}
   *[other] : { $gaps }
}
rule-idle_total = время простоев = { $total }
rule-longest_idle = самый долгий простой = { $gap }
rule-longest_idle_none = самый долгий простой: простоев не было
rule-share_in_calls = доля смены в звонках = { $in_zones } в { $zones } { $zones ->
    [one] активной зоне
   *[other] активных зонах
} / { $work } рабочего времени = { $share }
rule-wrapup_after_unsuccessful = обработка после нерезультативного звонка, медиана = { $median } по { $n } { $n ->
    [one] паузе
   *[other] паузам
}
rule-wrapup_after_unsuccessful_none = обработка после нерезультативных звонков: пауз внутри активных зон не было
rule-wrapup_after_successful = обработка после результативного звонка, медиана = { $median } по { $n } { $n ->
    [one] паузе
   *[other] паузам
}
rule-wrapup_after_successful_none = обработка после результативных звонков: пауз внутри активных зон не было
rule-peak_hour = пиковый час = { $from }–{ $to }, { $calls } { $calls ->
    [one] звонок
    [few] звонка
   *[many] звонков
}
rule-peak_hour_none = пиковый час: звонков не было
rule-utilisation = загрузка линии = { $calls } { $calls ->
    [one] звонок
    [few] звонка
   *[many] звонков
} / потенциал ({ $peak } в пиковый час × { $hours } { $hours ->
    [one] рабочий час
    [few] рабочих часа
   *[many] рабочих часов
} = { $potential }) = { $share }
rule-utilisation_none = загрузка линии: звонков не было

## Воронка

rule-deals_won = выигранные сделки за период = { $n }
rule-deals_lost = проигранные сделки за период = { $n }
rule-win_rate = доля выигранных = { $won } из { $closed } { $closed ->
    [one] закрытой
   *[other] закрытых
} = { $rate }
rule-win_rate_none = доля выигранных: за период не закрыто ни одной сделки
rule-revenue = выручка = сумма по { $n } { $n ->
    [one] выигранной сделке
   *[other] выигранным сделкам
} = { $revenue }
rule-stuck_deals = зависшие сделки = открытые сделки, стоящие на этапе дольше его порога = { $n }
rule-bottleneck = узкое место — этап «{ $stage }»: там { $n } из { $of } { $of ->
    [one] открытой сделки
   *[other] открытых сделок
} ({ $share }), у команды — { $team_share }

## План

rule-plan_line = { $figure }: { $actual } из { $target } за { $days } { $days ->
    [one] рабочий день
    [few] рабочих дня
   *[many] рабочих дней
} = { $completion }
rule-plan_line_no_target = { $figure }: { $actual }, цели нет (за { $days } { $days ->
    [one] рабочий день
    [few] рабочих дня
   *[many] рабочих дней
})
rule-plan_completion = выполнение плана = среднее выполнение по строкам плана, каждая не выше 100 % ({ $lines })
rule-plan_completion_line = { $figure } { $actual }/{ $target }
rule-plan_completion_none = выполнение плана: плана нет

## Порядок в CRM

rule-cards_touched = карточки = сделки с его комментарием, делом, сменой этапа или задачей = { $n }
rule-overdue_tasks = просроченные задачи = открытые задачи с истёкшим сроком = { $n }
rule-overdue_tasks_oldest = просроченные задачи = открытые задачи с истёкшим сроком = { $n }, самая старая просрочена на { $days } { $days ->
    [one] день
    [few] дня
   *[many] дней
} («{ $title }»)
rule-oldest_overdue_days = самая старая задача просрочена на { $days } { $days ->
    [one] день
    [few] дня
   *[many] дней
}
rule-postponed_without_action = переносы без действия = переносы задачи на потом без звонка или дела по сделке в промежутке = { $n } из { $of } { $of ->
    [one] переноса
   *[other] переносов
}
rule-deals_without_next_task = открытые сделки без открытой задачи = { $n } из { $of }
rule-open_tasks_per_open_deal = задач на открытую сделку = { $tasks } / { $deals } = { $per_deal }
rule-calls_without_trace = звонки без следа в CRM = результативные звонки по сделке без комментария, дела, задачи или смены этапа в течение { $window } = { $n } из { $of }
rule-calls_about_deals = звонки по сделкам = результативные звонки на телефон сделки (или привязанные к сделке) = { $n }
rule-weak_comments = пустые комментарии = короче { $min_chars } { $min_chars ->
    [one] символа
   *[other] символов
} или из одних дежурных фраз = { $n } из { $of }
rule-weak_comment_share = доля пустых комментариев = { $n } / { $of } = { $share }
rule-comments = комментарии за период = { $n }
rule-unfinished_tasks = незавершённые задачи = со сроком в периоде и открытые на его конец = { $n } из { $of }
rule-talk_minutes = минуты разговоров = время разговоров / 60; { $talk }

## Дела в CRM

rule-proposals = КП отправлено = КП, отмеченные в CRM за период = { $n }
rule-meetings = встречи = встречи, отмеченные в CRM за период = { $n }
rule-emails = письма = письма, отмеченные в CRM за период = { $n }

## KPI

rule-kpi_no_figure = у сотрудника нет такого показателя
rule-kpi_per_unit = { $name }: { $actual } × { $amount } = { $total }
rule-kpi_capped = { $rule }, но не больше { $cap }
rule-kpi_linear = { $name }: { $actual } из { $target } = { $pct } × { $pay } = { $total }
rule-kpi_linear_below_floor = { $name }: { $actual } из { $target } = { $pct }, ниже порога { $floor }: { $paid }
rule-kpi_linear_capped = { $name }: { $actual } из { $target } = { $pct }, выше потолка: { $cap } × { $pay } = { $total }
rule-kpi_step = от { $at } → { $amount }
rule-kpi_steps = { $name }: { $actual }, достигнута ступень от { $at }: { $amount } (ступени: { $steps })
rule-kpi_steps_below = { $name }: { $actual }, ниже первой ступени ({ $first }): { $paid } (ступени: { $steps })
rule-kpi_gate_min_passed = условие «{ $name }»: { $actual } ≥ { $target } — выполнено
rule-kpi_gate_min_failed = условие «{ $name }»: { $actual } < { $target } — не выполнено
rule-kpi_gate_max_passed = условие «{ $name }»: { $actual } ≤ { $target } — выполнено
rule-kpi_gate_max_failed = условие «{ $name }»: { $actual } > { $target } — не выполнено
rule-kpi_held_back = { $rule }, но не выполнено условие «{ $gate }»: { $paid }
rule-kpi_gate_holds = { $rule }: { $held } не выплачиваются
rule-kpi_at_pace = { $rule } в темпе месяца (× { NUMBER($pace, maximumFractionDigits: 2) })
rule-kpi_forecast = прогноз в темпе { $gone } из { $days } { $days ->
    [one] рабочего дня
   *[other] рабочих дней
}: { $bonus } ({ $parts })
rule-kpi_forecast_part = { $name } { $actual }
rule-kpi_forecast_gate_passed = условие «{ $name }» выполнено
rule-kpi_forecast_gate_failed = условие «{ $name }» не выполнено: { $actual }
