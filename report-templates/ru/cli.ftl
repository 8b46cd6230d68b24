# Отчёты командной строки (report figures, report kpi). Администратор может
# переопределить любое сообщение в своём templates_dir/ru/cli.ftl.

cli-date = { $d }.{ $m }.{ $y }
cli-none = —

## report figures

cli-figures-title = { $team } — с { $from } по { $to } ({ $tz })
cli-figures-calls = Звонки: исходящие { $out } · входящие { $in } · пропущенные { $missed } · соединения { $connected } · результативные { $successful } · разговоры { $talk } (в среднем { $mean }, медиана { $median })
cli-figures-mix = до 1 мин { $short } · 1–3 мин { $medium } · дольше 3 мин { $long } · холодные { $cold } · тёплые { $warm } · новым клиентам { $new } · действующим { $existing }
cli-figures-activities = Дела: { $list }
cli-figures-plan = План: { $completion } ({ $status }, { $days } { $days ->
    [one] рабочий день
    [few] рабочих дня
   *[many] рабочих дней
}): { $lines }
cli-plan-met = выполнен
cli-plan-missed = не выполнен
cli-plan-info = не выполнен, но план продаж выполнен
cli-plan-none = плана нет
cli-plan-line-met = { $figure } { $actual }/{ $target } ✓
cli-plan-line-low = { $figure } { $actual }/{ $target } ниже плана
cli-figures-pulse = Пульс { $day }: { $calls } { $calls ->
    [one] звонок
    [few] звонка
   *[many] звонков
} { $first }–{ $last } · активных зон { $zones } · простоев { $idle } ({ $idle_total }{ $longest }) · в звонках { $share } · обработка { $wrap_bad } / { $wrap_good } · пик { $peak } ({ $peak_calls } { $peak_calls ->
    [one] звонок
    [few] звонка
   *[many] звонков
}, загрузка { $utilisation })
cli-figures-pulse-longest = , самый долгий { $length } { $from }–{ $to }
cli-figures-hygiene = Порядок в CRM: карточки { $cards } · просроченные задачи { $overdue } (самая старая — { $oldest } { $oldest ->
    [one] день
    [few] дня
   *[many] дней
}) · переносы без действия { $postponed } · сделки без задачи { $no_task } · звонки без следа { $untraced } · пустые комментарии { $weak } ({ $weak_share }) · незавершённые задачи { $unfinished }
cli-figures-funnel = Воронка: открыты { $open } · выиграно { $won } · проиграно { $lost } · зависли { $stuck }{ $bottleneck }
cli-figures-bottleneck = {" · "}узкое место «{ $stage }» ({ $share }, у команды { $team_share })
cli-figures-why = почему «{ $figure }»: { $rule }
cli-figures-why-plan = почему план: { $rule }
cli-figures-team-funnel = Воронка команды
cli-figures-stage = { $stage }: открыто { $open } ({ $amount }) · вошло { $entered } · прошло дальше { $went_on } · конверсия { $conversion }
cli-temperature-hot = горячие
cli-temperature-warm = тёплые
cli-temperature-cold = холодные
cli-figures-temperature = { $temperature } лиды: выиграно { $won } из { $closed } { $closed ->
    [one] закрытой
   *[other] закрытых
} ({ $rate }), норма { $low }–{ $high }
cli-figures-channel = канал «{ $channel }»: { $leads } { $leads ->
    [one] лид
    [few] лида
   *[many] лидов
}, выиграно { $won }, выручка { $revenue }
cli-figures-stuck = зависшие сделки: { $n }
cli-figures-stuck-deal = { $deal } «{ $title }» на этапе «{ $stage }» { $days } { $days ->
    [one] день
    [few] дня
   *[many] дней
} (порог { $threshold }), { $amount }, ответственный { $owner }

## report kpi

cli-kpi-title = KPI: { $team } за { $month } (показатели по { $through }: { $gone } из { $days } { $days ->
    [one] рабочего дня
   *[other] рабочих дней
})
cli-kpi-bonus = премия
cli-kpi-forecast = прогноз
cli-kpi-total = Итого
cli-kpi-no-scheme = нет схемы
cli-kpi-no-position = без должности
cli-kpi-person-no-scheme = { $name }: для должности «{ $position }» нет схемы KPI на { $month }
cli-kpi-person = { $name } — { $position }, схема с { $from }: { $bonus }
cli-kpi-records = записи ({ $n }): { $list }
cli-kpi-records-more = записи ({ $n }): { $list }, … и ещё { $more }
