"""The bpftrace programs whose real bpftrace 0.17 output is stored in golden/.

Regenerate with ``sudo .venv/bin/python tests/trace/output/regen_golden.py``
(see golden/README.md).  Each program is deterministic: where bpftrace's
order depends on kernel hash-map iteration (equal counts), the programs avoid
ties, except for hist/avg/stats maps whose ties bpftrace breaks by key bytes.
"""

from __future__ import annotations

PROGRAMS: dict[str, str] = {
    # The example from the design brief.
    "basic": (
        "BEGIN { @h = hist(5); @h=hist(100); @h=hist(-3); @h=hist(0); @h=hist(1); @h=hist(2);"
        " @h=hist(3); @h=hist(1024); @h=hist(1500000); @l = lhist(3,0,10,2); @l=lhist(-1,0,10,2);"
        ' @l=lhist(10,0,10,2); @l=lhist(100,0,10,2); @c[1,"a"]=count(); @s=stats(7); @s=stats(3);'
        " @a=avg(3); @a=avg(4); exit(); }"
    ),
    # Exit-time map order is bytewise by name; "@" is the unnamed map.
    "exit_order": "BEGIN { @z = 1; @a = count(); @ = sum(3); @B = 2; @_x = 3; exit(); }",
    "count_keys": (
        "BEGIN { @c[1]=count(); @c[-5]=count(); @c[-5]=count(); @c[7]=count(); @c[7]=count();"
        ' @c[7]=count(); @s["bb"]=count(); @s["a"]=count(); @s["a"]=count();'
        ' @m["x", 2]=count(); @m["y", 1]=count(); @m["y", 1]=count(); @m["x", 1]=count();'
        ' @m["x", 1]=count(); @m["x", 1]=count(); exit(); }'
    ),
    # max() never records a first negative value in 0.17, so @M[1] and @mx stay empty.
    "aggregates": (
        'BEGIN { @s["b"]=sum(-4); @s["a"]=sum(10); @s["c"]=sum(0); @m["x",2]=min(-3);'
        ' @m["y",1]=min(5); @m["z",1]=min(0); @M[1]=max(-3); @M[2]=max(9); @M[3]=max(4);'
        " @a[1]=avg(-10); @a[2]=avg(10); @a[2]=avg(3); @a[3]=avg(-13); @a[3]=avg(0);"
        " @st[1]=stats(-7); @st[2]=stats(100); @st[2]=stats(1); @mx=max(-3); @mn=min(-3);"
        " @mn2=min(4000000000); @mx2 = max(5000000000); @neg = sum(-5); exit(); }"
    ),
    "hist_edges": (
        "BEGIN { @h = hist(-1); @h = hist(0); @h=hist(1); @h=hist(3); @big=hist(1<<30);"
        " @big=hist(1<<31); @big=hist(1<<40); @big = hist(0x7fffffffffffffff);"
        ' @k[1,"a"]=hist(1024); @k[1,"a"]=hist(1024); @k[2,"b"]=hist(5); @e[3] = hist(5);'
        " @e[2] = hist(6); @e[256]=hist(7); @third = hist(1); @third = hist(4); @third = hist(4);"
        " @third = hist(4); @m = hist(3000000); @m = hist(3000000); @m = hist(70000); exit(); }"
    ),
    "lhist": (
        "BEGIN { @l=lhist(9,0,10,3); @l=lhist(10,0,10,3); @l=lhist(11,0,10,3); @l=lhist(-1,0,10,3);"
        " @k=lhist(2048,0,4096,1024); @k=lhist(5000,0,4096,1024);"
        " @m = lhist(1048576, 0, 2097152, 1048576); @n=lhist(6,5,25,5); @n=lhist(5,5,25,5);"
        " @n=lhist(16,5,25,5); @mid=lhist(5,0,100,1); @mid=lhist(50,0,100,1);"
        ' @mid=lhist(50,0,100,1); @mid=lhist(50,0,100,1); @kk["a"]=lhist(1,0,10,5);'
        ' @kk["b"]=lhist(7,0,10,5); @kk["b"]=lhist(7,0,10,5); exit(); }'
    ),
    # print() with top/div, zero() and clear(); @z is zeroed with a single key (no ties).
    "print_top_div": (
        'BEGIN { @c["a"]=count(); @c["b"]=count(); @c["b"]=count(); @c["c"]=count();'
        ' @c["c"]=count(); @c["c"]=count(); @c["c"]=count(); @c["c"]=count();'
        " @h[1]=hist(5); @h[2]=hist(5); @h[2]=hist(100); @h[3]=hist(1); @h[3]=hist(1);"
        " @h[3]=hist(1); @a[1]=avg(100); @a[2]=avg(200); @a[3]=avg(300); @s[1]=stats(100);"
        " @s[2]=stats(200); @l = lhist(5,0,10,1); @l=lhist(5,0,10,1); @z[1] = count();"
        " print(@c, 2); print(@c, 0, 2); print(@h, 2); print(@h, 1, 2); print(@a, 2);"
        " print(@a, 2, 10); print(@s, 1); print(@s, 1, 10); print(@l, 0, 2); print(@c, 10);"
        ' printf("--zero--\\n"); zero(@z); zero(@h); zero(@a); zero(@s); print(@z); print(@h);'
        ' print(@a); print(@s); printf("--clear--\\n"); clear(@c); clear(@h); clear(@s);'
        ' print(@c); print(@h); print(@s); printf("--end--\\n"); exit(); }'
    ),
    "values": (
        'BEGIN { print(5); print(-5); print("hello"); print((1, "two", -3));'
        ' print((1, (2, "x"))); @t = (1, "two"); @tk[5] = (3, "x"); @tk[-1] = (4, "y");'
        ' @tk[2] = (5, "z"); @str["b"] = "vb"; @str["a"] = "va"; @str["ab"] = "vab";'
        " @i[2] = 10; @i[1] = -10; $x = 7; print($x); print(@i); print(@t); print(1 > 0);"
        ' @u["é"] = 1; @esc = "x\\ty\\"q\\\\"; exit(); }'
    ),
    "printf": (
        'BEGIN { printf("%d|%u|%x|%X|%o|%s|%c|%p|\\n", -1, -1, 255, 255, 8, "str", 65, 4096);'
        ' printf("%ld|%lu|%lld|%llu|%hu|%hhu|%zu|%hd|%hhd|%lx|%llX|%jd|%td|%zd\\n", -1, -1, -1,'
        " -1, -1, -1, -1, 70000, 200, -1, -1, -1, -1, -1);"
        ' printf("[%-10s][%10s][%5d][%-5d][%05d][%.3s][%8.3s][%-8.3s]\\n", "abc", "abc", 42,'
        ' 42, 42, "abcdef", "abcdef", "abcdef"); printf("100%%\\n");'
        ' printf("%d%% done %%\\n", 5); printf("100%% %d\\n", 5); printf("a%%d\\n", 7);'
        ' printf("%i\\n"); printf("%p %p %lp\\n", 0, 1, 255);'
        ' printf("%x %lx %d %u\\n", 5000000000, 5000000000, 5000000000, 5000000000);'
        ' printf("%c%c\\n", 256+66, 0x41); printf("%s\\n", "tab\\there\\"q\\\\");'
        ' printf("%5.2d|%.5d|%10.4x|%.0d|\\n", 3, 3, 255, 0);'
        ' printf("[%05s][%-05d][%010p][%-6c][%8p]\\n", "ab", 42, 255, 65, 0);'
        ' printf("é%s\\x01\\n", "ü"); printf("%-4s|%3s|\\n", "é", "é"); exit(); }'
    ),
    # ksym values: bpftrace 0.17 joins such map entries without a newline.
    "symbols": (
        'BEGIN { @a[1] = ksym(kaddr("vfs_read")); @a[2] = ksym(kaddr("vfs_write"));'
        " @p = probe; exit(); }"
    ),
    # strerror() (like strftime()) is left unquoted in JSON by bpftrace 0.17.
    "unquoted": "BEGIN { @e = strerror(2); @k[1] = strerror(13); print(strerror(1)); exit(); }",
    # Bar widths are computed in C float: (i/M)*52 truncates below i for some i.
    "bars": (
        "BEGIN { $i = 0; unroll(52) { $i++; $j = 0; unroll(52) { $j++; if ($j <= $i) {"
        " @a = lhist($i, 0, 100, 1); } } } $i = 0; unroll(49) { $i++; $j = 0; unroll(49) {"
        " $j++; if ($j <= $i) { @b = lhist($i, 0, 100, 1); } } } $i = 0; unroll(37) { $i++;"
        " $j = 0; unroll(37) { $j++; if ($j <= $i) { @c = lhist($i, 0, 100, 1); } } } exit(); }"
    ),
}

# Stack output depends on the live kernel, so this one is captured once and the
# test rebuilds its inputs from the captured frames (see test_golden.py).
STACK_PROGRAM = (
    "profile:hz:997 /@n < 6/ { @n = @n + 1; @[kstack(3)] = count(); @v = kstack(2);"
    " @k2[kstack(2), 5] = count(); if (@n == 6) { print(kstack(2));"
    ' printf("%s|\\n", kstack(2)); exit(); } }'
)
