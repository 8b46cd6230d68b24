# Ответы бота. Администратор может переопределить любое сообщение в своём
# templates_dir/ru/bot.ftl.

## Команды: меню Telegram и /help

bot-help-title = <b>Команды</b>
bot-command-me = мои показатели: /me [вчера|неделя|месяц|20.11]
bot-command-pulse = пульс звонков: /pulse [кто] [дата]
bot-command-plan = план и факт: /plan [кто]
bot-command-funnel = воронка: /funnel [кто]
bot-command-stuck = зависшие сделки: /stuck [кто]
bot-command-overdue = просроченные задачи: /overdue [кто]
bot-command-top = рейтинг: /top [день|неделя|месяц]
bot-command-team = отдел за последний рабочий день
bot-command-kpi = премия: /kpi [кто] [2026-11]
bot-command-why = откуда цифра: /why результативные [кто] [дата]; пропущенные без перезвона: /why перезвон [дата]
bot-command-report = вечерний самоотчёт: /report холодные 32 тёплые 9 кп 18
bot-command-help = что умеет бот

## Знакомство

bot-hello = { $name }, здравствуйте.
bot-linked = Готово, вы — <b>{ $name }</b>.
bot-code-unknown = Такого кода нет. Проверьте его или попросите новый.
bot-code-expired = Срок действия кода истёк. Попросите новый.
bot-code-used = Этот код уже использован. Попросите новый.
bot-stranger = Я вас не знаю. Попросите у руководителя код и отправьте /start КОД.
bot-failed = Не получилось ответить: ошибка на сервере. Попробуйте чуть позже.

## Отказы

bot-refusal-own-only = Вам видны только ваши показатели.
bot-refusal-not-your-team = { $name } не из вашего отдела.
bot-refusal-hidden = Этот показатель видят только руководители.
bot-refusal-no-one = Сотрудника «{ $who }» не нашёл. Проверьте имя.
bot-refusal-several = «{ $who }» подходит нескольким: { $names }. Уточните, кого вы имеете в виду.

## Ошибки в командах

bot-error-too-long = Слишком длинное сообщение для команды: { $length } { $length ->
    [one] символ
    [few] символа
   *[many] символов
}, а можно не больше { $max }.
bot-error-not-a-command = Это не команда: команды начинаются с «/».
bot-error-unknown-command = Команды /{ $name } нет.
bot-error-not-a-period = «{ $word }» — не день и не период. Например: вчера, неделя, месяц, 20.11.
bot-error-me-takes-one = После /me можно указать только один день или период.
bot-error-report-needs-figures = Напишите показатели после /report, например: /report холодные 32 тёплые 9 кп 18
bot-error-report-pairs = Самоотчёт пишется парами «показатель число», например: /report холодные 32 тёплые 9 кп 18
bot-error-report-figure = Показателя «{ $word }» в самоотчёте нет. Можно указать: { $list }.
bot-error-why-needs-figure = Напишите показатель после /why, например: /why результативные
bot-error-unknown-figure = Показателя «{ $word }» нет. Можно спросить: { $list }.

## Ответы

# «20.11»: день в заголовках.
bot-day = { $dd }.{ $mm }
bot-person-day = <b>{ $name }</b>, { $day }
bot-no-figures = { $name }: за { $day } данных нет.
bot-no-figure = { $figure }: за { $day } значения нет.
bot-more = … и ещё { $n }
bot-why-short = меньше { $min }
bot-record = { $kind ->
    [call] звонок
    [deal] сделка
    [task] задача
    [activity] действие
    [comment] комментарий
    [stage_change] смена стадии
   *[postponement] перенос
} { $id }

bot-plan-none = Плана нет.
bot-plan-line = { $figure }: { $actual } из { $target }

bot-funnel-none = Воронки за { $day } нет: сделок не было.

button-more = ещё { $n } (осталось { $left })
button-day-before = ◀ { $day }
button-day-after = { $day } ▶
button-why-menu = Почему?
button-plan = План
button-kpi = KPI
bot-why-menu = Что объяснить — { $name }, { $day }?
bot-button-expired = Эта кнопка устарела. Наберите команду заново (список — /help).
bot-missed-title = <b>Пропущенные вызовы за { $day }: { $n }</b>{ $never ->
    [0] {""}
   *[other] , не перезвонили: { $never }
}
bot-missed-none = За { $day } пропущенных вызовов нет.
bot-missed-line = { $time } { $number }{ $n ->
    [one] {""}
   *[other] {" "}({ $n } { $n ->
        [one] вызов
        [few] вызова
       *[many] вызовов
    })
} · { $name } · { $state }
bot-missed-in-time = перезвонили через { $after }
bot-missed-late = перезвонили поздно, через { $after }
bot-missed-never = не перезвонили
bot-missed-waiting = перезвонить до { $due }
bot-stuck-title = <b>Зависшие сделки: { $n }</b>
bot-stuck-none = Зависших сделок нет.
bot-stuck-line = { $deal } · { $owner } · «{ $stage }» { $days } { $days ->
    [one] день
    [few] дня
   *[many] дней
} (порог { $threshold })

bot-overdue-title = <b>Просроченные задачи: { $n }</b>
bot-overdue-line = { $n ->
    [0] { $name }: 0
   *[other] { $name }: { $n }, старейшая — { $days } { $days ->
        [one] день
        [few] дня
       *[many] дней
    }
}

bot-top-title = { $period ->
    [day] <b>План активности</b> за { $first }
    [month] <b>План активности</b> за месяц, { $first }–{ $last }
   *[week] <b>План активности</b> за неделю, { $first }–{ $last }
}

bot-kpi-title = <b>Премия: { $name }, { $month }</b>
bot-kpi-no-scheme = Для должности «{ $position }» схемы премии в этом месяце нет.
bot-kpi-total = Итого: { $amount }
bot-kpi-forecast = Прогноз при нынешнем темпе ({ NUMBER($gone, maximumFractionDigits: 1) } из { $days } рабочих дней): { $amount }

bot-report-title = Самоотчёт и замер (вы указали / по данным):
bot-report-line = { $figure }: { $reported } / { $measured }
bot-report-note-title = ⚠️ Самоотчёт расходится с замером: { $name }, { $day }
bot-report-note-line = { $figure }: в отчёте { $reported }, по данным { $measured }



## Заметки администратору

admin-missed-one = ⚠️ Рассылка «{ $schedule }» за { $slot } ({ $tz }) пропущена: salespulse не работал, а сейчас опоздание уже больше { $hours } ч. Не отправлено.
admin-missed-many = ⚠️ Рассылка «{ $schedule }» пропущена { $n } { $n ->
    [one] раз
    [few] раза
   *[many] раз
}, с { $first } по { $last } ({ $tz }): salespulse не работал. Не отправлено.
admin-chat-disabled = ⚠️ Чат { $chat } больше не получает отчёты: { $reason }.
admin-not-delivered = ⚠️ Не доставлено: «{ $schedule }» { $slot } → { $recipient }: { $why }
