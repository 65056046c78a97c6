-- mariadb_workload.sql - the scripted workload of test_mariadb.py, fed to the mariadb client: tables
-- filled, changed in transactions (one rolled back), summed and checksummed; what it prints must be
-- the same natively and under sprig. It ends by making the tables that mariadb-slap loads.
CREATE DATABASE sprig;
USE sprig;

CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL, qty INT NOT NULL,
                    price DECIMAL(10, 2) NOT NULL, KEY (qty)) ENGINE=InnoDB;
INSERT INTO items SELECT seq, CONCAT('item-', seq), seq % 97, seq * 1.25 FROM seq_1_to_5000;

START TRANSACTION;
UPDATE items SET qty = qty + 10 WHERE id % 3 = 0;
DELETE FROM items WHERE id % 7 = 0;
COMMIT;

START TRANSACTION;
DELETE FROM items;
ROLLBACK;

CREATE TABLE totals ENGINE=Aria AS
    SELECT qty % 10 AS bucket, COUNT(*) AS n, SUM(price) AS value FROM items GROUP BY bucket;

SELECT COUNT(*), SUM(qty), SUM(price) FROM items;
SELECT * FROM totals ORDER BY bucket;
CHECKSUM TABLE items, totals;

-- For mariadb-slap: each client adds rows to hits and looks its level up in levels.
CREATE TABLE hits (id INT AUTO_INCREMENT PRIMARY KEY, clients INT NOT NULL, KEY (clients)) ENGINE=InnoDB;
CREATE TABLE levels (clients INT PRIMARY KEY, label VARCHAR(20) NOT NULL) ENGINE=InnoDB;
INSERT INTO levels VALUES (50, 'fifty'), (500, 'five hundred'), (2000, 'two thousand');
