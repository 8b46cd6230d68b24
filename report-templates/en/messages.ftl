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
