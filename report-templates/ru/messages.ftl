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
