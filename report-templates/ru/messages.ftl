# Сообщения, которые читают люди, по-русски (Project Fluent).
# Администратор может переопределить любое сообщение в своём
# templates_dir/ru/messages.ftl; остальные берутся отсюда.

## Счёт и единицы

calls = { $n } { $n ->
    [one] звонок
    [few] звонка
   *[many] звонков
}

duration = { $h ->
    [0] { $m ->
        [0] { $s } с
       *[other] { $s ->
            [0] { $m } мин
           *[other] { $m } мин { $s } с
        }
    }
   *[other] { $m ->
        [0] { $h } ч
       *[other] { $h } ч { $m } мин
    }
}

percent = { NUMBER($p, maximumFractionDigits: 1) } %
money = { $amount } { $currency ->
    [RUB] ₽
   *[other] { $currency }
}

## Показатели: как их называют люди

figure-calls_out = Исходящие звонки
figure-calls_in = Входящие звонки
figure-missed = Пропущенные
figure-connected = Соединения
figure-successful_contacts = Результативные контакты
figure-talk_time = Время разговоров
figure-talk_minutes = Минуты разговоров
figure-talk_mean = Средний разговор
figure-talk_median = Медиана разговора
figure-short_calls = Разговоры до 1 мин
figure-medium_calls = Разговоры 1–3 мин
figure-long_calls = Разговоры дольше 3 мин
figure-cold_calls = Холодные звонки
figure-warm_calls = Тёплые звонки
figure-new_client_calls = Звонки новым клиентам
figure-existing_client_calls = Звонки действующим клиентам
figure-idle_gaps = Простои
figure-idle_total = Время простоев
figure-longest_idle = Самый долгий простой
figure-share_in_calls = Доля смены в звонках
figure-wrapup_after_unsuccessful = Обработка после нерезультативного звонка
figure-wrapup_after_successful = Обработка после результативного звонка
figure-peak_hour = Пиковый час
figure-utilisation = Загрузка линии
figure-calls_without_trace = Звонки без следа в CRM
figure-calls_about_deals = Звонки по сделкам
figure-cards_touched = Карточки
figure-comments = Комментарии
figure-weak_comments = Пустые комментарии
figure-weak_comment_share = Доля пустых комментариев
figure-overdue_tasks = Просроченные задачи
figure-oldest_overdue_days = Самая старая просрочка
figure-unfinished_tasks = Незавершённые задачи
figure-deals_without_next_task = Сделки без задачи
figure-postponed_without_action = Переносы без действия
figure-open_tasks_per_open_deal = Задач на открытую сделку
figure-stuck_deals = Зависшие сделки
figure-deals_won = Выигранные сделки
figure-deals_lost = Проигранные сделки
figure-win_rate = Доля выигранных
figure-revenue = Выручка
figure-meetings = Встречи
figure-proposals = КП отправлено
figure-emails = Письма
figure-called = Обзвонено

## Дни

# $weekday: 1 — понедельник … 7 — воскресенье; $date: «02.12».
day-label = { $weekday ->
    [1] пн
    [2] вт
    [3] ср
    [4] чт
    [5] пт
    [6] сб
   *[7] вс
} { $date }
period-label = { $first } – { $last }

## Короткие имена показателей в таблицах и строках плана

short-calls_out = Исходящие
short-calls_in = Входящие
short-connected = Соединения
short-successful_contacts = Результативные
short-cold_calls = Холодные
short-warm_calls = Тёплые
short-new_client_calls = Новые клиенты
short-proposals = КП
short-cards_touched = Карточки
short-deals_won = Сделки

## Графики

chart-team-day = День команды — { $day }
chart-team-pulse = Пульс отдела — { $day }
chart-team-funnel = Воронка отдела: открытые сделки и конверсия за { $days } { $days ->
    [one] день
    [few] дня
   *[many] дней
}
chart-plan = План / факт — { $day }
chart-left-out = дальше всех от плана; ещё { $n } { $n ->
    [one] не показан
   *[other] не показаны
}
chart-manager-pulse = { $name } — пульс звонков, { $day }
chart-manager-funnel = { $name } — воронка
chart-pulse-successful = результативный
chart-pulse-short = короткий
chart-pulse-unanswered = без ответа
chart-pulse-idle = простой
chart-week-trend = Результативные контакты по дням
chart-week-this = эта неделя
chart-week-last = прошлая неделя
chart-week-plan = План / факт за неделю
chart-week-funnel = Воронка: открытые сделки и конверсия за неделю

## Кнопки

digest-quiet = Данных за { $day } нет — последний звонок { $last }.
digest-quiet-never = Данных за { $day } нет — звонков ещё не было.
digest-source-stale = Источник «{ $source }» не обновлялся с { $since }, хотя по расписанию «{ $schedule }» должен был.
button-pulse = Пульс: { $name }
button-why = Почему? { $name }
button-stuck = Зависшие: { $n }
button-overdue = Просрочки: { $n }
button-missed = Пропущенные: { $n }

## Деньги, доли, лиды

money-short = { $scale ->
    [million] { $value } млн
    [thousand] { $value } тыс.
   *[unit] { $value }
} { $currency ->
    [RUB] ₽
   *[other] { $currency }
}
percent-range = { NUMBER($low, maximumFractionDigits: 0) }–{ NUMBER($high, maximumFractionDigits: 0) } %
lead-temperature = { $temperature ->
    [hot] горячие
    [warm] тёплые
    [cold] холодные
   *[other] { $temperature }
}
figure-calls = Звонки

## Таблица Excel: листы и столбцы

sheet-managers-by-day = Менеджеры по дням
sheet-recordings = Записи разговоров
sheet-stuck-deals = Зависшие сделки
sheet-overdue-tasks = Просроченные задачи
sheet-kpi = Премия KPI
column-date = Дата
column-manager = Менеджер
column-calls-out = Исходящие
column-calls-in = Входящие
column-missed = Пропущенные
column-connected = Соединения
column-successful = Результативные
column-talk-min = Разговоры, мин
column-cold = Холодные
column-warm = Тёплые
column-proposals = КП
column-meetings = Встречи
column-plan-pct = План, %
column-idle-min = Простои, мин
column-longest-idle-min = Самый долгий простой, мин
column-without-trace = Без следа в CRM
column-overdue-tasks = Просроченные задачи
column-time = Время
column-talk-s = Разговор, с
column-recording = Запись
column-deal = Сделка
column-title = Название
column-stage = Этап
column-days-in-stage = Дней на этапе
column-threshold-days = Порог, дней
column-amount = Сумма
column-oldest-days-late = Самая старая, дней просрочки
column-why = Почему
column-position = Должность
column-scheme-from = Схема с
column-indicator = Показатель KPI
column-figure = Показатель
column-value = Значение
column-how-counted = Как посчитано
column-the-figure = Как посчитан показатель
column-records = Записей
column-bonus = Премия, { $currency }
column-forecast = прогноз в темпе месяца: { $bonus }

days = { $n } { $n ->
    [one] день
    [few] дня
   *[many] дней
}

month-label = { $m ->
    [1] январь
    [2] февраль
    [3] март
    [4] апрель
    [5] май
    [6] июнь
    [7] июль
    [8] август
    [9] сентябрь
    [10] октябрь
    [11] ноябрь
   *[12] декабрь
} { $y }
figure-plan_completion = Выполнение плана активности

## Intraday alerts (report/alerts.rs)
alert-missed-callback = ☎️ Пропущенный вызов { $number } в { $time } { $n ->
    [one] без перезвона
   *[other] ({ $n } { $n ->
        [one] вызов
        [few] вызова
       *[many] вызовов
    }) без перезвона
} — срок был { $due }. Перезвонить: { $name }
alert-missed-callback-late = ✅ перезвонили через { $after }
alert-no-calls-by = 📵 { $name }: к этому часу { $made } { $made ->
    [one] исходящий
   *[other] исходящих
} из { $wanted }
alert-idle-now = ⏸ { $name }: ни одного звонка с { $since } ({ $idle })
alert-trace-backlog = 🗒 { $name }: { $n } { $n ->
    [one] звонок
    [few] звонка
   *[many] звонков
} по сделкам без следа в CRM за { $window } после разговора (из { $of })
alert-plan-pace = 🐢 { $name }: план на этот час выполнен на { $pct } %
alert-plan-pace-line = 🐢 { $name }: план на этот час выполнен на { $pct } % — { $figure }: { $actual } из { $target }
alert-team = команда
alert-limit = Лимит на сегодня: { $n } { $n ->
    [one] оповещение
    [few] оповещения
   *[many] оповещений
} «{ $rule }» — дальше без сообщений до завтра
alert-rule-missed_callback = пропущенный без перезвона
alert-rule-no_calls_by = мало звонков к сроку
alert-rule-idle_now = простой
alert-rule-trace_backlog = звонки без следа в CRM
alert-rule-plan_pace = отставание от плана
