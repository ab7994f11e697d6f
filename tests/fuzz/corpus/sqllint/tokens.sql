SELECT 'a;''b', E'c\'d;', "q;""x", $f$ ; $g$ $f$, $1 -- c;
/* a /* b */ c; */ x1$y;
